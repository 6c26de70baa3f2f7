// Inline SVG charts for the HTML report (no scripts, no external resources): a line chart with axes,
// ticks and a legend, and a sparkline for metric trends.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace reports::svg {

// One point of a shaded band around a series: [lo, hi] at x (e.g. a 95% interval over seeds).
struct BandPoint {
  double x = 0;
  double lo = 0;
  double hi = 0;
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite y values are skipped
  // Optional band in the series' colour, drawn under the lines; points with a non-finite bound split it
  // into separate polygons (a single point draws nothing).
  std::vector<BandPoint> band = {};
};

// A dashed vertical line across the plot at x, labelled at its top (e.g. where training changes phase).
struct Marker {
  double x = 0;
  std::string label;
};

struct ChartOptions {
  std::string title;
  std::string x_label = "step";
  std::string y_label;
  int width = 520;
  int height = 260;
  std::vector<Marker> markers = {};  // the x range is widened to hold every finite marker
};

// A line chart; returns an <svg> element with role="img" and a <title> for screen readers.
// Empty or all-invalid input gives a chart frame saying "no data".
std::string LineChart(const std::vector<Series>& series, const ChartOptions& options);

// A small line of `values` (oldest first) with the last point marked.
std::string Sparkline(const std::vector<double>& values, int width = 140, int height = 30);

// Colour of the i-th series (a fixed colour-blind-friendly palette, cycling).
const char* SeriesColor(size_t i);

}  // namespace reports::svg
