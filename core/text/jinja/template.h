// A parsed chat template and its rendering: the Jinja2 subset Hugging Face
// chat templates are written in, rendered as transformers'
// apply_chat_template renders them (ImmutableSandboxedEnvironment with
// trim_blocks, lstrip_blocks and loopcontrols; tojson, raise_exception,
// strftime_now, namespace and dict added). Scoping follows Jinja2: a `set`
// inside a for loop lasts for that iteration only (namespace() is how
// templates carry values out), a macro sees its arguments and the
// template's variables. Parity with jinja2 is tested on real templates
// (tests/fixtures/chat_templates, made by scripts/checks/chat_template_goldens.py).
#pragma once

#include <memory>
#include <string>

#include "text/jinja/ast.h"

namespace irq::jinja {

class Template {
 public:
  // Parses `text`; `source` names it in errors (a file, or "file: chat_template").
  Template(const std::string& text, std::string source);
  // The template's output for these variables. Errors are
  // Error(kInvalidInput) "<source>: line N: <what>"; a template's own
  // raise_exception("...") gives "<source>: line N: the template refused: ...".
  std::string render(const ValueDict& variables) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const Body> body_;
};

}  // namespace irq::jinja
