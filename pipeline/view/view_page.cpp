#include "pipeline/view/view_page.h"

#include <zlib.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "view_page_template.h"  // generated from pipeline/view/view_page.html
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/view/attention_quantize.h"

namespace bertology {

void ViewSentence::add_layer(const std::vector<float>& attention, int heads) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (static_cast<int64_t>(attention.size()) != heads * n * n)
    throw InternalError(cat("ViewSentence::add_layer: ", attention.size(), " values for ", heads, " heads of ", n,
                            " tokens"));
  const size_t at = maps.size();
  maps.resize(at + attention.size());
  for (int h = 0; h < heads; ++h)
    scales.push_back(quantize_map(attention.data() + h * n * n, n * n, maps.data() + at + h * n * n));
}

std::string view_page_template_sha256() {
  static const std::string digest = sha256_hex(kViewPageTemplate, std::char_traits<char>::length(kViewPageTemplate));
  return digest;
}

std::string base64_encode(const uint8_t* bytes, size_t size) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63], out += kAlphabet[v & 63];
  }
  if (i + 1 == size) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    out += kAlphabet[v >> 18], out += kAlphabet[(v >> 12) & 63], out += "==";
  } else if (i + 2 == size) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[v >> 18], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63], out += '=';
  }
  return out;
}

std::vector<uint8_t> zlib_deflate(const uint8_t* bytes, size_t size, int level) {
  uLongf bound = compressBound(static_cast<uLong>(size));
  std::vector<uint8_t> out(bound);
  if (compress2(out.data(), &bound, bytes, static_cast<uLong>(size), level) != Z_OK)
    throw InternalError(cat("zlib_deflate: compress2 failed on ", size, " bytes"));
  out.resize(bound);
  return out;
}

namespace {

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

/// JSON for a <script> element: every '<' is written \u003c (the same string to JavaScript), so
/// that no "</script" or "<!--" in a token, label or path can end or re-mode the element.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

}  // namespace

std::string render_view_html(const ViewPage& page) {
  const int64_t L = static_cast<int64_t>(page.layers.size()), H = static_cast<int64_t>(page.heads.size());
  nlohmann::json data = {{"title", page.title},     {"model", page.model},   {"source", page.source},
                         {"level", page.level},     {"layers", page.layers}, {"heads", page.heads},
                         {"notes_source", page.notes_source}};
  data["sentences"] = nlohmann::json::array();
  for (const auto& s : page.sentences) {
    const int64_t n = static_cast<int64_t>(s.tokens.size());
    if (static_cast<int64_t>(s.maps.size()) != L * H * n * n || static_cast<int64_t>(s.scales.size()) != L * H ||
        static_cast<int64_t>(s.is_word.size()) != n)
      throw InternalError(cat("render_view_html: sentence ", s.label, " has ", s.maps.size(), " map bytes for ", L,
                              " layers x ", H, " heads x ", n, "^2 tokens"));
    nlohmann::json gold = nlohmann::json::array();
    for (const auto& arc : s.gold) gold.push_back({arc.dependent, arc.head, arc.relation});
    const auto packed = zlib_deflate(s.maps.data(), s.maps.size());
    data["sentences"].push_back({{"label", s.label},
                                 {"tokens", s.tokens},
                                 {"words", s.is_word},
                                 {"gold", gold},
                                 {"scales", s.scales},
                                 {"maps", base64_encode(packed.data(), packed.size())}});
  }
  data["notes"] = nlohmann::json::array();
  for (const auto& note : page.notes)
    data["notes"].push_back({{"layer", note.layer},
                             {"head", note.head},
                             {"behaviour", note.behaviour},
                             {"to_cls", number_or_null(note.to_cls)},
                             {"to_sep", number_or_null(note.to_sep)},
                             {"to_punct", number_or_null(note.to_punct)},
                             {"entropy", number_or_null(note.entropy)},
                             {"best_relation", note.best_relation},
                             {"best_direction", note.best_direction},
                             {"best_accuracy", number_or_null(note.best_accuracy)},
                             {"baseline_accuracy", number_or_null(note.baseline_accuracy)}});
  const std::string marker = "/*BERTOLOGY_VIEW_DATA*/null";
  std::string html = kViewPageTemplate;
  const size_t at = html.find(marker);
  if (at == std::string::npos) throw InternalError("render_view_html: the page template has no data marker");
  html.replace(at, marker.size(), script_safe(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return html;
}

}  // namespace bertology
