// Escaping, truncation, formatting and the inline stylesheet for the harness's HTML pages.
#include "reports/html_util.h"

#include <cmath>
#include <cstdio>

namespace reports::html {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Truncate(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so a character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + " … [" + std::to_string(text.size() - cut) + " more bytes]";
}

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

std::string Percent(double fraction) { return std::isnan(fraction) ? "–" : Fixed(100.0 * fraction, 1); }

std::string Bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return Fixed(bytes, u == 0 ? 0 : 1) + " " + units[u];
}

namespace {

// Plain system fonts only (no web fonts: the page must render offline). Tables scroll sideways on
// narrow screens; print drops navigation and keeps rows whole.
constexpr const char* kCss = R"CSS(
:root{--fg:#1d232a;--muted:#5c6773;--line:#d7dde3;--bg:#fff;--band:#f4f6f8;--good:#1a7f37;--bad:#c62828;--accent:#2457a6}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:var(--muted);font-size:13px}
nav{position:sticky;top:0;background:var(--bg);padding:6px 0;border-bottom:1px solid var(--line);z-index:1}
nav a{margin-right:14px;color:var(--accent);text-decoration:none;font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ci{color:var(--muted);font-size:12px}
.good{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;background:var(--band);border:1px solid var(--line)}
details{margin:4px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;background:var(--band);padding:6px 8px;margin:2px 0;font:12px/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;max-height:24em;overflow:auto}
tr.correct td:first-child{border-left:4px solid var(--good)}tr.wrong td:first-child{border-left:4px solid var(--bad)}
.trajectory{border-left:3px solid var(--line);padding-left:6px;margin:2px 0;max-height:36em;overflow:auto}
.trajectory pre{max-height:none}
pre.tool-code{background:#eef3fb;border-left:3px solid var(--accent)}
pre.tool-out{background:#f6f6f2;border-left:3px solid #8a8f96;color:#333}
.tool-status{margin:0 0 4px}
.badge.tool-ok{color:#fff;background:var(--good);border-color:var(--good)}.badge.tool-fail{color:#fff;background:var(--bad);border-color:var(--bad)}
.hint{background:#fff3b0;outline:1px dashed #d4a800;font-style:italic}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fff}svg text{font:11px system-ui,sans-serif;fill:#1d232a}
.note{background:#fff8e1;border:1px solid #f0d58c;padding:6px 10px;font-size:13px;margin:8px 0}
@media (max-width:700px){body{padding:8px}nav{position:static}}
@media print{nav{display:none}body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}tr,svg,pre{break-inside:avoid}pre{max-height:none}.trajectory{max-height:none}a{color:inherit}}
)CSS";

}  // namespace

std::string PageStart(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<link rel=\"icon\" href=\"data:,\">\n<title>" +
         Escape(title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
}

std::string PageEnd() { return "</body>\n</html>\n"; }

}  // namespace reports::html
