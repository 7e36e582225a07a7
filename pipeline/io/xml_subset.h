// Parsing the subset of XML that hand-made and research data sets use, into a tree, with every
// error naming the file and line ("FILE:LINE: what"), which a general XML library would not give
// us for free.
//
// The subset: elements, attributes, the five predefined entities (&amp; &lt; &gt; &quot; &apos;)
// and character references &#N; / &#xN;, CDATA sections, comments, processing instructions (the
// <?xml ...?> declaration is one) and a DOCTYPE, which is skipped (entities it might declare are
// not supported). Text and attribute values are decoded as XML requires: line ends in text become
// "\n"; tabs and line ends in attribute values become spaces. Bytes are kept as they are
// otherwise (no encoding check; names may hold UTF-8 letters, not classified).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertology {

/// One element of the parsed tree.
struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< in document order
  std::vector<XmlElement> children;
  std::string text;       ///< character data directly inside, entities decoded, CDATA included
  int64_t line = 0;       ///< of the "<" that opens it
  int64_t text_line = 0;  ///< of its first non-whitespace character data; 0 when it has none

  /// The value of attribute `key`, or null when the element has none.
  const std::string* attribute(std::string_view key) const {
    for (const auto& [k, v] : attributes) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

/// Parses the whole document `data` of the file `path` (for messages) and returns its root
/// element. The whole tree is built in memory. InputError "PATH:LINE: what" on anything outside
/// the subset or malformed: no or a second root element, text outside it, unclosed or mismatched
/// tags, unknown entities, bad character references, duplicate attributes, nesting deeper than
/// 256 elements.
XmlElement parse_xml_subset(const std::string& path, std::string_view data);

}  // namespace bertology
