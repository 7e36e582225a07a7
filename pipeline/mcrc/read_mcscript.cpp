// The MCScript reader: the schema of its XML over the XML-subset parser (pipeline/io/xml_subset.h).
// mc_readers.h has the format.
#include "pipeline/mcrc/mc_readers.h"

#include <string>
#include <utility>

#include "pipeline/io/xml_subset.h"
#include "pipeline/mcrc/mc_readers_internal.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {

using namespace mc_readers_internal;

namespace {

/// Walks the tree of an MCScript file: <data> / <instance> / <text>, <questions> / <question> /
/// <answer>. Messages name the line of the element concerned.
class McscriptReader {
 public:
  McscriptReader(const std::string& path, McDataset* ds) : path_(path), ds_(ds) {}

  void read(const XmlElement& root) {
    if (root.name != "data") fail(root, cat("root element is <", root.name, ">, expected <data>"));
    no_text(root);
    for (const XmlElement& child : root.children) {
      if (child.name != "instance") unexpected(child, root, "<instance>");
      instance(child);
    }
  }

 private:
  [[noreturn]] void fail(const XmlElement& e, const std::string& what) const {
    fail_at(path_, e.line, what);
  }
  [[noreturn]] void unexpected(const XmlElement& child, const XmlElement& parent,
                               const char* expected) const {
    fail(child,
         cat("unexpected <", child.name, "> in <", parent.name, "> (expected ", expected, ")"));
  }

  void no_text(const XmlElement& e) const {
    if (e.text_line != 0) fail_at(path_, e.text_line, cat("unexpected text in <", e.name, ">"));
  }

  const std::string& attribute(const XmlElement& e, const char* key) const {
    const std::string* value = e.attribute(key);
    if (value == nullptr) fail(e, cat("<", e.name, "> has no ", key, " attribute"));
    return *value;
  }

  void instance(const XmlElement& inst) {
    const std::string& id = attribute(inst, "id");
    no_text(inst);
    const XmlElement* text = nullptr;
    const XmlElement* questions = nullptr;
    for (const XmlElement& child : inst.children) {
      const XmlElement** slot = child.name == "text"        ? &text
                                : child.name == "questions" ? &questions
                                                            : nullptr;
      if (slot == nullptr) unexpected(child, inst, "<text> and <questions>");
      if (*slot != nullptr)
        fail(child, cat("second <", child.name, "> in <instance id=\"", id, "\">"));
      *slot = &child;
    }
    if (text == nullptr) fail(inst, cat("<instance id=\"", id, "\"> has no <text>"));
    if (questions == nullptr) fail(inst, cat("<instance id=\"", id, "\"> has no <questions>"));
    if (!text->children.empty()) fail(text->children[0], "unexpected element inside <text>");
    no_text(*questions);
    for (const XmlElement& q : questions->children) {
      if (q.name != "question") unexpected(q, *questions, "<question>");
      question(q, id, text->text);
    }
  }

  void question(const XmlElement& q, const std::string& instance_id, const std::string& passage) {
    McExample ex;
    ex.id = cat(instance_id, "-", attribute(q, "id"));
    ex.origin = cat(path_, ":", q.line);
    ex.passage = passage;
    ex.question = attribute(q, "text");
    no_text(q);
    int correct = 0;
    for (const XmlElement& a : q.children) {
      if (a.name != "answer") unexpected(a, q, "<answer>");
      if (!a.children.empty()) fail(a.children[0], "unexpected element inside <answer>");
      no_text(a);
      const std::string& flag = attribute(a, "correct");
      if (flag != "True" && flag != "False") {
        fail(a, cat("correct=\"", flag, "\", expected \"True\" or \"False\""));
      }
      if (flag == "True") {
        ex.answer = static_cast<int>(ex.options.size());
        ++correct;
      }
      ex.options.push_back(attribute(a, "text"));
    }
    if (ex.options.size() != static_cast<size_t>(kMcscriptOptions)) {
      fail(q, cat("question ", ex.id, " has ", ex.options.size(), " answers, expected ",
                  kMcscriptOptions));
    }
    if (correct != 1) {
      fail(q, cat("question ", ex.id, " has ", correct, " answers with correct=\"True\", ",
                  "expected exactly one"));
    }
    ds_->examples.push_back(std::move(ex));
  }

  const std::string& path_;
  McDataset* ds_;
};

}  // namespace

McDataset read_mcscript(const std::string& xml_path) {
  const std::string data = read_text_file(xml_path, "MCScript XML file", true);
  const XmlElement root = parse_xml_subset(xml_path, data);
  McDataset ds = start_dataset("mcscript", xml_path, false);
  McscriptReader(xml_path, &ds).read(root);
  require_questions(ds);
  return ds;
}

}  // namespace bertology
