#include "pipeline/tokenizer/special_token_trie.h"

namespace bertology {

int SpecialTokenTrie::child(int node, char32_t cp) const {
  for (const auto& [c, next] : nodes_[static_cast<size_t>(node)].children) {
    if (c == cp) return next;
  }
  return -1;
}

void SpecialTokenTrie::add(std::u32string_view token) {
  if (token.empty()) return;
  int node = 0;
  for (char32_t cp : token) {
    int next = child(node, cp);
    if (next < 0) {
      next = static_cast<int>(nodes_.size());
      nodes_[static_cast<size_t>(node)].children.emplace_back(cp, next);
      nodes_.emplace_back();
    }
    node = next;
  }
  nodes_[static_cast<size_t>(node)].terminal = true;
}

std::vector<std::pair<size_t, size_t>> SpecialTokenTrie::split(std::u32string_view text) const {
  const size_t n = text.size();
  std::vector<size_t> offsets{0};
  if (!empty()) {
    // Partial matches in order of their start offset (HF: an OrderedDict start -> trie node).
    // `stale` marks matches that failed on the current character: HF removes them only after
    // the pass over all states, so its lookahead still sees them with their old node.
    struct State {
      size_t start;
      int node;
      bool stale;
    };
    std::vector<State> states;
    size_t skip = 0;
    auto terminal = [&](int node) { return nodes_[static_cast<size_t>(node)].terminal; };

    for (size_t current = 0; current < n; ++current) {
      if (skip && current < skip) continue;  // inside a match found by lookahead
      const char32_t current_char = text[current];
      bool reset = false;
      for (size_t si = 0; si < states.size(); ++si) {
        size_t start = states[si].start;
        if (terminal(states[si].node)) {
          // A match is complete. Look for a longer one among this and the earlier-starting
          // partial matches; `start` may move left while doing so (which also shortens the set
          // of states the loop considers, as in HF).
          size_t end = current;
          for (size_t li = 0; li < states.size(); ++li) {
            const size_t lookstart = states[li].start;
            int looknode = states[li].node;
            size_t lookahead_index;
            if (lookstart > start) break;
            if (lookstart < start) {  // its node already consumed current_char
              lookahead_index = current + 1;
              end = current + 1;
            } else {
              lookahead_index = current;
              end = current;
            }
            if (terminal(looknode)) {
              start = lookstart;
              end = lookahead_index;
              skip = lookahead_index;
            }
            while (lookahead_index < n) {
              const int next = child(looknode, text[lookahead_index]);
              if (next < 0) break;
              looknode = next;
              ++lookahead_index;
              if (terminal(looknode)) {
                start = lookstart;
                end = lookahead_index;
                skip = lookahead_index;
              }
            }
          }
          offsets.push_back(start);
          offsets.push_back(end);
          reset = true;
          break;
        }
        const int next = child(states[si].node, current_char);
        if (next >= 0) {
          states[si].node = next;
        } else {
          states[si].stale = true;
        }
      }
      if (reset) {
        states.clear();
      } else {
        size_t kept = 0;
        for (const State& s : states) {
          if (!s.stale) states[kept++] = s;
        }
        states.resize(kept);
      }
      if (current >= skip) {
        const int next = child(0, current_char);
        if (next >= 0) states.push_back(State{current, next, false});
      }
    }
    // A match that runs to the end of the text (the earliest-starting one wins).
    for (const State& s : states) {
      if (terminal(s.node)) {
        offsets.push_back(s.start);
        offsets.push_back(n);
        break;
      }
    }
  }

  // HF `cut_text`: consecutive offsets delimit the pieces; empty pieces are dropped and an offset
  // that goes backwards is skipped (HF logs "bug in Trie algorithm" and recovers the same way).
  offsets.push_back(n);
  std::vector<std::pair<size_t, size_t>> pieces;
  size_t start = 0;
  for (size_t end : offsets) {
    if (start >= end) continue;
    pieces.emplace_back(start, end);
    start = end;
  }
  return pieces;
}

}  // namespace bertology
