// Jinja2's lexer for chat templates (see lexer.h).
#include "text/jinja/lexer.h"

#include <cctype>
#include <cstring>

#include "common/error.h"
#include "text/utf8.h"

namespace irq::jinja {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  std::vector<Token> run() {
    bool line_starting = true;  // Jinja2: the last tag's match ended with '\n'
    while (pos_ < s_.size()) {
      size_t tag = find_tag(pos_);
      std::string text = s_.substr(pos_, tag - pos_);
      const int text_line = line_;
      count_lines(pos_, tag);
      pos_ = tag;
      if (tag == s_.size()) {
        emit_text(text, text_line);
        break;
      }
      const char kind = s_[tag + 1];  // '{', '%' or '#'
      const char sign = tag + 2 < s_.size() && (s_[tag + 2] == '-' || s_[tag + 2] == '+') ? s_[tag + 2] : 0;
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && is_space(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && kind != '{') {  // lstrip_blocks
        const size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
        if (line_start > 0 || line_starting) {
          bool blank = line_start < text.size();
          for (size_t k = line_start; k < text.size(); ++k) blank = blank && is_space(text[k]);
          if (blank) text.resize(line_start);
        }
      }
      emit_text(text, text_line);
      pos_ = tag + 2 + (sign ? 1 : 0);
      const std::string closing = kind == '#' ? comment() : tag_tokens(/*variable=*/kind == '{');
      line_starting = closing.back() == '\n';
    }
    out_.push_back({Token::Type::kEnd, "", line_});
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw make_error(ErrorKind::kInvalidInput, source_, "line " + std::to_string(line) + ": " + what);
  }

  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < s_.size(); ++i)
      if (s_[i] == '{' && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    return s_.size();
  }
  void count_lines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) line_ += s_[i] == '\n';
  }
  void emit_text(const std::string& text, int line) {
    if (!text.empty()) out_.push_back({Token::Type::kText, text, line});
  }

  // After a tag's closing marker: "-" eats all whitespace, "+" nothing,
  // otherwise trim_blocks eats one newline after block and comment tags.
  // Returns the end of what the closing match took (never empty), for
  // lstrip's "line starting" rule.
  std::string close(char sign, bool trims_newline) {
    if (sign == '-') {
      size_t k = pos_;
      while (k < s_.size() && is_space(s_[k])) ++k;
      std::string eaten = s_.substr(pos_, k - pos_);
      count_lines(pos_, k);
      pos_ = k;
      return eaten.empty() ? std::string("}") : eaten;
    }
    if (sign != '+' && trims_newline && pos_ < s_.size() && s_[pos_] == '\n') {
      ++pos_;
      ++line_;
      return "\n";
    }
    return "}";
  }

  std::string comment() {
    const size_t end = s_.find("#}", pos_);
    if (end == std::string::npos) fail(line_, "comment opened here is never closed with #}");
    const char sign = end > pos_ && (s_[end - 1] == '-' || s_[end - 1] == '+') ? s_[end - 1] : 0;
    count_lines(pos_, end + 2);
    pos_ = end + 2;
    return close(sign, /*trims_newline=*/true);
  }

  std::string tag_tokens(bool variable) {
    const int open_line = line_;
    out_.push_back({variable ? Token::Type::kVarBegin : Token::Type::kBlockBegin, "", line_});
    const char end_char = variable ? '}' : '%';
    int depth = 0;  // brackets open inside the tag: "}}" closes it only at depth 0
    for (;;) {
      while (pos_ < s_.size() && is_space(s_[pos_])) line_ += s_[pos_++] == '\n';
      if (pos_ >= s_.size()) fail(open_line, std::string("tag opened here is never closed with ") + (variable ? "}}" : "%}"));
      const char c = s_[pos_];
      if (depth == 0) {
        char sign = 0;
        size_t at = pos_;
        if ((c == '-' || c == '+') && s_.compare(at + 1, 2, std::string(1, end_char) + "}") == 0) {
          sign = c;
          ++at;
        }
        if (s_.compare(at, 2, std::string(1, end_char) + "}") == 0) {
          out_.push_back({variable ? Token::Type::kVarEnd : Token::Type::kBlockEnd, "", line_});
          pos_ = at + 2;
          return close(sign, /*trims_newline=*/!variable);
        }
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t k = pos_;
        while (k < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[k])) || s_[k] == '_')) ++k;
        out_.push_back({Token::Type::kName, s_.substr(pos_, k - pos_), line_});
        pos_ = k;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        number();
      } else if (c == '\'' || c == '"') {
        string_literal(c);
      } else {
        static const char* const kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                           "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"};
        const char* op = nullptr;
        for (const char* o : kOps)
          if (s_.compare(pos_, std::strlen(o), o) == 0) {
            op = o;
            break;
          }
        if (!op) fail(line_, std::string("unexpected character '") + c + "' in a tag");
        if (*op == '(' || *op == '[' || *op == '{') ++depth;
        if ((*op == ')' || *op == ']' || *op == '}') && depth > 0) --depth;
        out_.push_back({Token::Type::kOp, op, line_});
        pos_ += std::strlen(op);
      }
    }
  }

  void number() {
    size_t k = pos_;
    bool is_float = false;
    while (k < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[k])) || s_[k] == '_')) ++k;
    if (k + 1 < s_.size() && s_[k] == '.' && std::isdigit(static_cast<unsigned char>(s_[k + 1]))) {
      is_float = true;
      ++k;
      while (k < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[k])) || s_[k] == '_')) ++k;
    }
    if (k < s_.size() && (s_[k] == 'e' || s_[k] == 'E')) {
      size_t e = k + 1;
      if (e < s_.size() && (s_[e] == '+' || s_[e] == '-')) ++e;
      if (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) {
        is_float = true;
        k = e;
        while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) ++k;
      }
    }
    std::string digits;
    for (size_t i = pos_; i < k; ++i)
      if (s_[i] != '_') digits += s_[i];
    out_.push_back({is_float ? Token::Type::kFloat : Token::Type::kInt, digits, line_});
    pos_ = k;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  void string_literal(char quote) {
    const int open_line = line_;
    std::string value;
    size_t k = pos_ + 1;
    for (;;) {
      if (k >= s_.size()) fail(open_line, "string opened here is never closed");
      const char c = s_[k];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\' || k + 1 >= s_.size()) {
        value += c;
        ++k;
        continue;
      }
      const char e = s_[k + 1];
      const char* simple = std::strchr("nrtabfv\\'\"", e);
      if (simple && e) {
        static const char kTo[] = "\n\r\t\a\b\f\v\\'\"";
        value += kTo[simple - "nrtabfv\\'\""];
        k += 2;
        continue;
      }
      const int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
      if (digits) {
        char32_t cp = 0;
        bool ok = k + 2 + digits <= s_.size();
        for (int i = 0; ok && i < digits; ++i) {
          const int h = hex_value(s_[k + 2 + i]);
          ok = h >= 0;
          cp = cp * 16 + static_cast<char32_t>(h);
        }
        if (!ok || cp > 0x10FFFF) fail(line_, std::string("truncated \\") + e + " escape in a string");
        utf8::append(value, cp);
        k += 2 + digits;
        continue;
      }
      if (e == '\n') {  // a backslash-newline continues the line
        ++line_;
        k += 2;
        continue;
      }
      value += '\\';  // unknown escapes stay as written
      ++k;
    }
    out_.push_back({Token::Type::kString, value, open_line});
    pos_ = k + 1;
  }

  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& text, const std::string& source) { return Lexer(text, source).run(); }

}  // namespace irq::jinja
