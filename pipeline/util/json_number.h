// Range-checked numbers from JSON files that bertology did not write itself (or that a user may
// have edited): config.json of a checkpoint, a cache entry's plan and key, a training state.
//
// Why not nlohmann's get<T>(): it converts with static_cast. A float outside T's range (say
// "hidden_size": 199e9) is undefined behaviour, found by fuzz_model_files under UBSan; an integer
// outside T's range wraps silently into another, plausible-looking value. These readers accept a
// JSON number only when T holds it exactly (integers) or within range (floating point), and
// otherwise throw an InputError naming the file and key.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/util/error.h"

namespace bertology {

/// A short description of a JSON value for an error message: a number as written, else its type.
inline std::string json_value_for_message(const nlohmann::json& v) {
  return v.is_number() ? v.dump() : std::string("a JSON ") + v.type_name();
}

/// `v` as a T. Integral T: `v` must be a JSON integer (not 3.0, not "3") in [min(T), max(T)].
/// Floating T: any JSON number whose magnitude T can hold. Otherwise InputError
/// "WHERE: key 'KEY' must be ...". `where` names the file, `key` the key (a path such as
/// "model.num_layers" is fine).
template <typename T>
T json_number(const nlohmann::json& v, const std::string& where, std::string_view key) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "json_number reads numbers");
  if constexpr (std::is_integral_v<T>) {
    constexpr auto kMin = std::numeric_limits<T>::min();
    constexpr auto kMax = std::numeric_limits<T>::max();
    bool in_range = false;
    if (v.is_number_unsigned()) {
      in_range = v.get<uint64_t>() <= static_cast<uint64_t>(kMax);
    } else if (v.is_number_integer()) {  // a signed JSON integer, negative ones included
      const int64_t x = v.get<int64_t>();
      in_range = std::is_signed_v<T> ? (x >= static_cast<int64_t>(kMin) && x <= static_cast<int64_t>(kMax))
                                     : (x >= 0 && static_cast<uint64_t>(x) <= static_cast<uint64_t>(kMax));
    }
    if (!in_range) {
      throw InputError(cat(where, ": key '", key, "' must be an integer in [", +kMin, ", ", +kMax, "], got ",
                           json_value_for_message(v)));
    }
    return v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>()) : static_cast<T>(v.get<int64_t>());
  } else {
    const bool ok = v.is_number() && std::isfinite(v.get<double>()) &&
                    std::fabs(v.get<double>()) <= static_cast<double>(std::numeric_limits<T>::max());
    if (!ok) throw InputError(cat(where, ": key '", key, "' must be a finite number, got ",
                                  json_value_for_message(v)));
    return static_cast<T>(v.get<double>());
  }
}

/// `v` as a list of T, each element read by json_number ("KEY[i]" in the message).
template <typename T>
std::vector<T> json_numbers(const nlohmann::json& v, const std::string& where, std::string_view key) {
  if (!v.is_array()) throw InputError(cat(where, ": key '", key, "' must be a list of numbers, got ", v.type_name()));
  std::vector<T> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) out.push_back(json_number<T>(v[i], where, cat(key, "[", i, "]")));
  return out;
}

}  // namespace bertology
