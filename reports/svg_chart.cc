// SVG line charts and sparklines (see svg_chart.h).
#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "reports/html_util.h"

namespace reports::svg {

namespace {

// Okabe–Ito palette (colour-blind safe).
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};

std::string Num(double v) { return html::Fixed(v, 1); }

// "Nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `span`.
double NiceStep(double span, int target) {
  if (!(span > 0)) return 1.0;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

std::string TickLabel(double v, double step) {
  if (step >= 1 && std::fabs(v) < 1e15) return html::Fixed(v, 0);
  const int decimals = std::min(6, std::max(0, static_cast<int>(-std::floor(std::log10(step)))));
  return html::Fixed(v, decimals);
}

// The band as polygons (upper bound left to right, lower bound back), one per run of points with finite
// bounds; runs of one point are left out.
template <typename Px, typename Py>
std::string BandPolygons(const std::vector<BandPoint>& band, const char* color, const Px& px, const Py& py) {
  std::string out;
  std::vector<BandPoint> run;
  auto flush = [&] {
    if (run.size() >= 2) {
      std::string points;
      for (const auto& b : run) points += (points.empty() ? "" : " ") + Num(px(b.x)) + "," + Num(py(b.hi));
      for (auto it = run.rbegin(); it != run.rend(); ++it) points += " " + Num(px(it->x)) + "," + Num(py(it->lo));
      out += "<polygon class=\"band\" points=\"" + points + "\" fill=\"" + color +
             "\" fill-opacity=\"0.18\" stroke=\"none\"/>";
    }
    run.clear();
  };
  for (const auto& b : band) {
    if (std::isfinite(b.x) && std::isfinite(b.lo) && std::isfinite(b.hi)) {
      run.push_back(b);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

}  // namespace

const char* SeriesColor(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

std::string LineChart(const std::vector<Series>& series, const ChartOptions& o) {
  const double left = 52, right = 12, top = 26, bottom = 40;
  // The legend sits below the x-axis label (12 px gap), three entries a row.
  const double legend_gap = 12;
  const double legend_h = 16.0 * static_cast<double>((series.size() + 2) / 3);
  const double height = o.height + legend_gap + legend_h;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  auto include = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    xmin = std::min(xmin, x);
    xmax = std::max(xmax, x);
    ymin = std::min(ymin, y);
    ymax = std::max(ymax, y);
  };
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) include(x, y);
    for (const auto& b : s.band) {
      if (!std::isfinite(b.lo) || !std::isfinite(b.hi)) continue;
      include(b.x, b.lo);
      include(b.x, b.hi);
    }
  }
  if (std::isfinite(xmin)) {
    for (const auto& m : o.markers) {
      if (!std::isfinite(m.x)) continue;
      xmin = std::min(xmin, m.x);
      xmax = std::max(xmax, m.x);
    }
  }
  std::ostringstream out;
  out << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" << o.width
      << "\" height=\"" << Num(height) << "\" viewBox=\"0 0 " << o.width << " " << Num(height) << "\"><title>"
      << html::Escape(o.title) << "</title>";
  out << "<text x=\"" << Num(left) << "\" y=\"16\" style=\"font-weight:600\">" << html::Escape(o.title) << "</text>";
  out << "<rect x=\"" << Num(left) << "\" y=\"" << Num(top) << "\" width=\"" << Num(pw) << "\" height=\"" << Num(ph)
      << "\" fill=\"none\" stroke=\"#d7dde3\"/>";
  if (!std::isfinite(xmin)) {
    out << "<text x=\"" << Num(left + pw / 2 - 20) << "\" y=\"" << Num(top + ph / 2) << "\">no data</text></svg>";
    return out.str();
  }
  if (xmax == xmin) {
    xmin -= 1;
    xmax += 1;
  }
  if (ymax == ymin) {
    const double pad = ymax == 0 ? 1 : std::fabs(ymax) * 0.1;
    ymin -= pad;
    ymax += pad;
  }
  const double ystep = NiceStep(ymax - ymin, 5);
  ymin = std::floor(ymin / ystep) * ystep;
  ymax = std::ceil(ymax / ystep) * ystep;
  const double xstep = NiceStep(xmax - xmin, 6);
  auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  auto py = [&](double y) { return top + ph - (y - ymin) / (ymax - ymin) * ph; };
  for (double y = ymin; y <= ymax + ystep * 1e-9; y += ystep) {
    out << "<line x1=\"" << Num(left) << "\" x2=\"" << Num(left + pw) << "\" y1=\"" << Num(py(y)) << "\" y2=\""
        << Num(py(y)) << "\" stroke=\"#eef1f4\"/><text x=\"" << Num(left - 6) << "\" y=\"" << Num(py(y) + 4)
        << "\" text-anchor=\"end\">" << TickLabel(y, ystep) << "</text>";
  }
  for (double x = std::ceil(xmin / xstep) * xstep; x <= xmax + xstep * 1e-9; x += xstep) {
    out << "<line x1=\"" << Num(px(x)) << "\" x2=\"" << Num(px(x)) << "\" y1=\"" << Num(top + ph) << "\" y2=\""
        << Num(top + ph + 4) << "\" stroke=\"#5c6773\"/><text x=\"" << Num(px(x)) << "\" y=\"" << Num(top + ph + 16)
        << "\" text-anchor=\"middle\">" << TickLabel(x, xstep) << "</text>";
  }
  out << "<text x=\"" << Num(left + pw / 2) << "\" y=\"" << Num(top + ph + 32) << "\" text-anchor=\"middle\">"
      << html::Escape(o.x_label) << "</text>";
  if (!o.y_label.empty()) {
    out << "<text transform=\"translate(12," << Num(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
        << html::Escape(o.y_label) << "</text>";
  }
  for (size_t i = 0; i < series.size(); ++i) {
    out << BandPolygons(series[i].band, SeriesColor(i), px, py);
  }
  for (const auto& m : o.markers) {
    if (!std::isfinite(m.x)) continue;
    out << "<line class=\"marker\" x1=\"" << Num(px(m.x)) << "\" x2=\"" << Num(px(m.x)) << "\" y1=\"" << Num(top)
        << "\" y2=\"" << Num(top + ph) << "\" stroke=\"#5c6773\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>";
    if (!m.label.empty()) {
      out << "<text class=\"marker-label\" x=\"" << Num(px(m.x) + 3) << "\" y=\"" << Num(top + 11) << "\">"
          << html::Escape(html::Truncate(m.label, 40)) << "</text>";
    }
  }
  for (size_t i = 0; i < series.size(); ++i) {
    std::string path;
    int valid = 0;
    for (const auto& [x, y] : series[i].points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      path += (valid++ == 0 ? "M" : " L") + Num(px(x)) + " " + Num(py(y));
    }
    if (valid == 0) continue;
    out << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << SeriesColor(i) << "\" stroke-width=\"1.8\"/>";
    if (valid <= 30) {
      for (const auto& [x, y] : series[i].points) {
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        out << "<circle cx=\"" << Num(px(x)) << "\" cy=\"" << Num(py(y)) << "\" r=\"2.2\" fill=\"" << SeriesColor(i)
            << "\"/>";
      }
    }
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const double lx = left + static_cast<double>(i % 3) * (pw / 3);
    const double ly = o.height + legend_gap + 16.0 * static_cast<double>(i / 3) - 2;
    out << "<rect x=\"" << Num(lx) << "\" y=\"" << Num(ly - 8) << "\" width=\"12\" height=\"4\" fill=\"" << SeriesColor(i)
        << "\"/><text x=\"" << Num(lx + 16) << "\" y=\"" << Num(ly - 3) << "\">"
        << html::Escape(html::Truncate(series[i].name, 40)) << "</text>";
  }
  out << "</svg>";
  return out.str();
}

std::string Sparkline(const std::vector<double>& values, int width, int height) {
  std::ostringstream out;
  out << "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\">";
  std::vector<double> v;
  for (double x : values) {
    if (std::isfinite(x)) v.push_back(x);
  }
  if (!v.empty()) {
    double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    if (hi == lo) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double pad = 3;
    auto px = [&](size_t i) {
      return v.size() == 1 ? width / 2.0 : pad + static_cast<double>(i) / (v.size() - 1) * (width - 2 * pad);
    };
    auto py = [&](double y) { return pad + (hi - y) / (hi - lo) * (height - 2 * pad); };
    std::string path;
    for (size_t i = 0; i < v.size(); ++i) path += (i == 0 ? "M" : " L") + Num(px(i)) + " " + Num(py(v[i]));
    out << "<path d=\"" << path << "\" fill=\"none\" stroke=\"#2457a6\" stroke-width=\"1.5\"/><circle cx=\""
        << Num(px(v.size() - 1)) << "\" cy=\"" << Num(py(v.back())) << "\" r=\"2.5\" fill=\"#2457a6\"/>";
  }
  out << "</svg>";
  return out.str();
}

}  // namespace reports::svg
