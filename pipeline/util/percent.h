// Percentages in result tables, with one answer for zero items.
#pragma once

#include <cmath>
#include <cstdint>

namespace bertology {

/// 100 * part / whole; NaN when whole is 0: an accuracy over no items is undefined, and tables
/// print it as "nan" (fixed()) rather than a 0 that reads like a measured failure.
inline double percent(double part, double whole) { return whole != 0 ? 100.0 * part / whole : NAN; }

}  // namespace bertology
