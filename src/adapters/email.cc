// parse_email: an email as received (RFC 5322 / MIME), parsed with GMime 3, as one InboundMessage.
//
// Header fields
//   from.value           the first From mailbox as written, decoded: "Jürgen Müller <j@x.de>"
//                        (quoted where the name needs it); the engine normalizes it.
//   display_name         the decoded display name of that mailbox (RFC 2047), "" when none.
//   provider_message_id  the Message-ID *without* its angle brackets ("CAF1234@mail.example.com"),
//                        the form GMime gives for Message-ID, In-Reply-To and References alike, so
//                        a reply's `references` equal the provider_message_id its parent was
//                        stored with. Outbound adapters should record their Message-ID the same
//                        way. A message without one is refused (kInvalidArgument, field
//                        "Message-ID"): it would have no stable idempotency key.
//   references           In-Reply-To first, then References from the newest (last) to the oldest,
//                        bare ids, deduplicated, the message's own id left out; at most 50 (the
//                        engine's limit), the nearest kept.
//   subject              Subject, decoded (RFC 2047).
//   occurred_at          Date; unset when absent or unparseable (the engine then uses its clock).
//
// Body and attachments
//   * multipart/alternative: the text/plain alternative when it has any text, otherwise the last
//     (richest) alternative, usually text/html. Non-text parts of the other alternatives (inline
//     images of a multipart/related HTML version) still count as attachments.
//   * Other multiparts (mixed, related, signed, ...): every inline text/plain or text/html leaf
//     without a filename is body text (joined by a blank line); every other leaf is an attachment.
//   * A leaf with Content-Disposition "attachment", or one that is not text/plain or text/html,
//     or a text leaf with a filename, is an Attachment: filename (RFC 2047 / RFC 2231 decoded by
//     GMime), lower-case content_type, size and SHA-256 of the transfer-decoded content. Inline
//     images referenced by cid: are attachments too. An attached message/rfc822 is one attachment
//     (filename: its disposition filename, else its subject + ".eml").
//   * Text is converted to UTF-8 from the declared charset (GLib/iconv, names mapped by GMime);
//     "iso-8859-1" and "us-ascii" labels are read as windows-1252, as browsers do, since that is
//     what mailers mean by them; undeclared 8-bit text is UTF-8 when valid, else windows-1252.
//     Invalid sequences become U+FFFD. Line ends become "\n".
//   * HTML becomes text by a deliberately small converter (GMime has no HTML-to-text filter):
//     script, style, head and comments dropped; br and block elements end lines; blockquote lines
//     are prefixed with "> " (so a quoted HTML thread is recognized as quoted text); character
//     references and the common named entities decoded; other tags removed, spaces collapsed.
//
// New text, quoted text and signature (conservative: when unsure, everything stays in the body)
//   The body is cut at the first of these reply headers that is not itself inside a quote:
//     * "-----Original Message-----" / "-----Ursprüngliche Nachricht-----" (any number >= 2 of
//       dashes, case-insensitive);
//     * an Outlook header block: a line "From:" / "Von:" followed within 6 lines by "Sent:" /
//       "Date:" / "Gesendet:" / "Datum:" and by "Subject:" / "Betreff:" (a line of underscores
//       just above it belongs to the quote);
//     * an attribution line, "On <date>, <name> wrote:" or "Am <date> schrieb <name>:" (also
//       wrapped over two lines, as Gmail does), but only when every non-blank line after it is a
//       ">" line (a bottom-posted or interleaved reply is not cut).
//   Without such a header, a block of ">" lines (and blank lines) at the very end is the quote.
//   Before the cut, the last RFC 3676 delimiter line "-- " (also "--" in text converted from
//   HTML, whose trailing space HTML loses) starts the signature. When cutting would leave no new
//   text, nothing is cut.
//
// Metadata keys (only set when there is a value):
//   "message_id"      the bare Message-ID (= provider_message_id)
//   "to", "cc"        the decoded address lists: "Name <addr>, other@x.de"
//   "reply_to"        the decoded Reply-To list
//   "html"            "true" when the body was converted from text/html
//   "quoted_text"     the quoted earlier message, from its reply header on, as written
//   "signature"       the text after the "-- " delimiter
//   "auto_submitted"  the Auto-Submitted header when it is not "no" (out-of-office, bounces)
//
// Lengths: metadata values are cut to 4096 bytes, display_name, attachment filenames and content
// types to 256 bytes, the subject to 1024 bytes (the engine's limits; always on a UTF-8
// character boundary), so a long thread or a spam subject does not make receive() refuse the
// mail. The body is not cut: EngineOptions::max_body_bytes is the host's choice.
#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/common.h"
#include "omni/adapters/inbound.h"

namespace omni::adapters {
namespace {

constexpr std::size_t kDefaultMaxPayloadBytes = 1024 * 1024;  // ParseOptions' default
constexpr std::size_t kEmailMaxPayloadBytes = 25 * 1024 * 1024;
// The engine's limits (see Engine::validate).
constexpr std::size_t kMaxReferences = 50;
// The engine's limit on provider message ids (and so on references).
constexpr std::size_t kMaxMessageIdBytes = 256;
// MIME nesting deeper than this is not looked into (GMime parses it; we do not recurse further).
constexpr int kMaxDepth = 32;
// How many lines after "From:" an Outlook header block may spread over.
constexpr std::size_t kHeaderBlockLines = 6;

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// ------------------------------------------------------------------------- RAII for GLib/GMime

struct GObjectUnref {
  void operator()(void* object) const {
    if (object) g_object_unref(object);
  }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(void* memory) const { g_free(memory); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

struct ReferencesFree {
  void operator()(GMimeReferences* refs) const { g_mime_references_free(refs); }
};
using ReferencesPtr = std::unique_ptr<GMimeReferences, ReferencesFree>;

std::string take(char* owned) {
  GCharPtr holder(owned);
  return holder ? std::string(holder.get()) : std::string();
}

// ----------------------------------------------------------------------------- text utilities

std::string make_valid_utf8(std::string_view text) {
  if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
    return std::string(text);
  }
  return take(g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lower_ascii(text.substr(0, prefix.size())) == prefix;
}

std::string normalize_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Strips blank lines and trailing spaces at both ends, keeps the inner layout.
std::string trim_block(std::string_view text) {
  std::size_t begin = 0;
  // Drop leading blank lines, but keep the indentation of the first non-blank line.
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      begin = i + 1;
    } else if (!is_space(text[i])) {
      break;
    }
  }
  std::string_view rest = text.substr(std::min(begin, text.size()));
  while (!rest.empty() && is_space(rest.back()))
    rest.remove_suffix(1);
  return std::string(rest);
}

// ------------------------------------------------------------------------------- HTML to text

std::optional<std::string> named_entity(std::string_view name) {
  static const std::array<std::pair<std::string_view, std::string_view>, 38> kEntities = {{
      {"amp", "&"},    {"lt", "<"},     {"gt", ">"},     {"quot", "\""},  {"apos", "'"},
      {"nbsp", " "},   {"auml", "ä"},   {"ouml", "ö"},   {"uuml", "ü"},   {"Auml", "Ä"},
      {"Ouml", "Ö"},   {"Uuml", "Ü"},   {"szlig", "ß"},  {"eacute", "é"}, {"egrave", "è"},
      {"agrave", "à"}, {"aacute", "á"}, {"ccedil", "ç"}, {"ntilde", "ñ"}, {"euro", "€"},
      {"pound", "£"},  {"copy", "©"},   {"reg", "®"},    {"trade", "™"},  {"ndash", "–"},
      {"mdash", "—"},  {"hellip", "…"}, {"laquo", "«"},  {"raquo", "»"},  {"bdquo", "„"},
      {"ldquo", "“"},  {"rdquo", "”"},  {"lsquo", "‘"},  {"rsquo", "’"},  {"sbquo", "‚"},
      {"bull", "•"},   {"middot", "·"}, {"deg", "°"},
  }};
  for (const auto& [key, value] : kEntities) {
    if (key == name) return std::string(value);
  }
  return std::nullopt;
}

// Decodes the character reference at html[pos] == '&'; returns the text and how many bytes it
// spans, or nullopt when it is not one (the '&' is then literal).
std::optional<std::pair<std::string, std::size_t>> decode_entity(std::string_view html,
                                                                 std::size_t pos) {
  // Look only a few bytes ahead: a stray '&' must not make the conversion quadratic.
  std::size_t end = html.substr(pos, 14).find(';');
  if (end == std::string_view::npos || end < 2) return std::nullopt;
  end += pos;
  std::string_view name = html.substr(pos + 1, end - pos - 1);
  if (name[0] == '#') {
    std::string digits(name.substr(1));
    int base = 10;
    if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
      base = 16;
      digits.erase(0, 1);
    }
    if (digits.empty()) return std::nullopt;
    for (char c : digits) {
      if (base == 10 ? !std::isdigit(static_cast<unsigned char>(c))
                     : !std::isxdigit(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
    }
    unsigned long code = std::stoul(digits, nullptr, base);
    if (code == 0xA0) code = ' ';
    if (code == 0 || code > 0x10FFFF || !g_unichar_validate(static_cast<gunichar>(code))) {
      code = 0xFFFD;
    }
    char buffer[8] = {};
    int length = g_unichar_to_utf8(static_cast<gunichar>(code), buffer);
    return std::make_pair(std::string(buffer, static_cast<std::size_t>(length)), end - pos + 1);
  }
  if (auto text = named_entity(name)) return std::make_pair(*text, end - pos + 1);
  return std::nullopt;
}

// Finds the '>' closing the tag that starts at html[pos] == '<', skipping quoted attributes.
std::size_t tag_end(std::string_view html, std::size_t pos) {
  char quote = 0;
  for (std::size_t i = pos + 1; i < html.size(); ++i) {
    char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool is_block_element(std::string_view name) {
  static constexpr std::array<std::string_view, 24> kBlocks = {
      "p",  "div",     "li",      "ul",     "ol",     "tr",      "table",  "h1",
      "h2", "h3",      "h4",      "h5",     "h6",     "hr",      "dt",     "dd",
      "dl", "section", "article", "header", "footer", "address", "center", "pre"};
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

class HtmlToText {
 public:
  std::string convert(std::string_view html) {
    std::size_t i = 0;
    while (i < html.size()) {
      char c = html[i];
      if (c == '<') {
        i = tag(html, i);
      } else if (c == '&') {
        if (auto entity = decode_entity(html, i)) {
          emit(entity->first);
          i += entity->second;
        } else {
          emit("&");
          ++i;
        }
      } else if (is_space(c)) {
        if (preformatted_ > 0) {
          if (c == '\n') {
            end_line();
          } else if (c != '\r') {
            emit(std::string_view(&html[i], 1));
          }
        } else if (!line_start_) {
          pending_space_ = true;
        }
        ++i;
      } else {
        std::size_t end = i;
        while (end < html.size() && html[end] != '<' && html[end] != '&' && !is_space(html[end])) {
          ++end;
        }
        emit(html.substr(i, end - i));
        i = end;
      }
    }
    // At most one blank line in a row.
    std::string collapsed;
    std::size_t newlines = 0;
    for (char ch : out_) {
      newlines = ch == '\n' ? newlines + 1 : 0;
      if (newlines <= 2) collapsed += ch;
    }
    return trim_block(collapsed);
  }

 private:
  // Handles the tag at html[pos]; returns the position after it.
  std::size_t tag(std::string_view html, std::size_t pos) {
    if (html.compare(pos, 4, "<!--") == 0) {
      std::size_t end = html.find("-->", pos + 4);
      return end == std::string_view::npos ? html.size() : end + 3;
    }
    std::size_t end = tag_end(html, pos);
    if (end == std::string_view::npos) return html.size();
    std::string_view inner = html.substr(pos + 1, end - pos - 1);
    bool closing = !inner.empty() && inner[0] == '/';
    if (closing) inner.remove_prefix(1);
    std::size_t name_length = 0;
    while (name_length < inner.size() &&
           std::isalnum(static_cast<unsigned char>(inner[name_length]))) {
      ++name_length;
    }
    std::string name = lower_ascii(inner.substr(0, name_length));
    std::size_t next = end + 1;
    if (!closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
      // Skip the element's content up to its end tag.
      const std::string end_tag = "</" + name;
      std::size_t close = next;
      while ((close = html.find("</", close)) != std::string_view::npos &&
             lower_ascii(html.substr(close, end_tag.size())) != end_tag) {
        close += 2;
      }
      if (close == std::string_view::npos) return html.size();
      std::size_t close_end = tag_end(html, close);
      return close_end == std::string_view::npos ? html.size() : close_end + 1;
    }
    if (name == "br") {
      end_line();
    } else if (name == "blockquote") {
      if (!line_start_) end_line();
      if (closing && quote_depth_ > 0) {
        // No quoted blank line at the end of the quote.
        std::string blank = "\n" + std::string(static_cast<std::size_t>(quote_depth_), '>') + "\n";
        if (out_.size() >= blank.size() &&
            out_.compare(out_.size() - blank.size(), blank.size(), blank) == 0) {
          out_.resize(out_.size() - blank.size() + 1);
        }
      }
      quote_depth_ = closing ? std::max(0, quote_depth_ - 1) : quote_depth_ + 1;
    } else if (is_block_element(name)) {
      if (!line_start_) end_line();
      if (name == "p" && closing) end_line();  // a paragraph is followed by a blank line
      if (name == "pre")
        preformatted_ = closing ? std::max(0, preformatted_ - 1) : preformatted_ + 1;
    } else if ((name == "td" || name == "th") && closing) {
      pending_space_ = !line_start_;
    }
    return next;
  }

  void emit(std::string_view text) {
    if (line_start_) {
      if (quote_depth_ > 0) out_ += std::string(static_cast<std::size_t>(quote_depth_), '>') + ' ';
      line_start_ = false;
    } else if (pending_space_) {
      out_ += ' ';
    }
    pending_space_ = false;
    out_ += text;
  }

  void end_line() {
    // A blank line inside a blockquote is a quoted blank line (">"), as plain-text mailers write.
    if (line_start_ && quote_depth_ > 0) {
      out_ += std::string(static_cast<std::size_t>(quote_depth_), '>');
    }
    while (!out_.empty() && out_.back() == ' ')
      out_.pop_back();
    out_ += '\n';
    line_start_ = true;
    pending_space_ = false;
  }

  std::string out_;
  int quote_depth_ = 0;
  int preformatted_ = 0;
  bool line_start_ = true;
  bool pending_space_ = false;
};

// ----------------------------------------------------------------- quoted text and signatures

struct SplitText {
  std::string body;
  std::string quoted;
  std::string signature;
};

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t begin,
                       std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end && i < lines.size(); ++i) {
    if (i > begin) out += '\n';
    out += lines[i];
  }
  return trim_block(out);
}

bool is_quote_line(std::string_view line) {
  return !line.empty() && line[0] == '>';
}

bool is_blank(std::string_view line) {
  return trim(line).empty();
}

// "-----Original Message-----", "-----Ursprüngliche Nachricht-----".
bool is_original_message_separator(std::string_view line) {
  static const std::regex kSeparator(
      "^-{2,}\\s*(original message|urspr(\xC3\xBC|ue)ngliche nachricht)\\s*-{2,}$",
      std::regex::icase | std::regex::optimize);
  // std::regex recurses per character: keep it to lines that can be a separator.
  if (line.size() > 80 || line.substr(0, 2) != "--") return false;
  return std::regex_match(line.begin(), line.end(), kSeparator);
}

// A header line of a quoted Outlook message: "From: ...", also "*From:* ..." from bold HTML.
bool is_header_line(std::string_view line, std::initializer_list<std::string_view> names) {
  line = trim(line);
  while (!line.empty() && line[0] == '*')
    line.remove_prefix(1);
  for (std::string_view name : names) {
    if (starts_with_ci(line, name)) return true;
  }
  return false;
}

bool is_outlook_header_block(const std::vector<std::string_view>& lines, std::size_t at) {
  if (!is_header_line(lines[at], {"from:", "von:"})) return false;
  bool sent = false;
  bool subject = false;
  for (std::size_t i = at + 1; i < lines.size() && i <= at + kHeaderBlockLines; ++i) {
    if (is_header_line(lines[i], {"sent:", "date:", "gesendet:", "datum:"})) sent = true;
    if (is_header_line(lines[i], {"subject:", "betreff:"})) subject = true;
  }
  return sent && subject;
}

bool is_attribution(std::string_view text) {
  static const std::regex kEnglish("^On\\s.+\\swrote:$", std::regex::optimize);
  static const std::regex kGerman("^Am\\s.+\\sschrieb(\\s.+)?:$", std::regex::optimize);
  if (text.size() > 400) return false;
  return std::regex_match(text.begin(), text.end(), kEnglish) ||
         std::regex_match(text.begin(), text.end(), kGerman);
}

// The number of lines (1 or 2) of the attribution line starting at `at`, 0 when there is none.
std::size_t attribution_lines(const std::vector<std::string_view>& lines, std::size_t at) {
  std::string_view first = trim(lines[at]);
  if (!(first.substr(0, 3) == "On " || first.substr(0, 3) == "Am ")) return 0;
  if (is_attribution(first)) return 1;
  if (at + 1 < lines.size() && !first.empty() && first.back() != ':') {
    std::string joined = std::string(first) + " " + std::string(trim(lines[at + 1]));
    if (is_attribution(joined)) return 2;
  }
  return 0;
}

bool only_quotes_after(const std::vector<std::string_view>& lines, std::size_t from) {
  bool any = false;
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    if (!is_quote_line(lines[i])) return false;
    any = true;
  }
  return any;
}

// The first line of the first reply header outside a quote, or npos.
std::size_t find_reply_header(const std::vector<std::string_view>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_quote_line(lines[i])) continue;
    std::string_view line = trim(lines[i]);
    if (is_original_message_separator(line)) return i;
    if (is_outlook_header_block(lines, i)) {
      // Outlook draws a line of underscores above the header block.
      std::size_t above = i;
      while (above > 0 && is_blank(lines[above - 1]))
        --above;
      if (above > 0) {
        std::string_view rule = trim(lines[above - 1]);
        if (rule.size() >= 10 && rule.find_first_not_of('_') == std::string_view::npos) {
          return above - 1;
        }
      }
      return i;
    }
    if (std::size_t n = attribution_lines(lines, i); n > 0 && only_quotes_after(lines, i + n)) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The first line of a block of ">" lines (with blank lines) that ends the text, or npos.
std::size_t find_trailing_quote(const std::vector<std::string_view>& lines) {
  std::size_t start = lines.size();
  while (start > 0 && (is_blank(lines[start - 1]) || is_quote_line(lines[start - 1])))
    --start;
  while (start < lines.size() && !is_quote_line(lines[start]))
    ++start;
  return start < lines.size() ? start : std::string_view::npos;
}

bool is_signature_delimiter(std::string_view line, bool from_html) {
  return line == "-- " || (from_html && line == "--");
}

SplitText split_reply(const std::string& text, bool from_html) {
  std::vector<std::string_view> lines = split_lines(text);
  std::size_t cut = find_reply_header(lines);
  if (cut == std::string_view::npos) cut = find_trailing_quote(lines);
  std::size_t top_end = cut == std::string_view::npos ? lines.size() : cut;

  std::size_t delimiter = std::string_view::npos;
  for (std::size_t i = 0; i < top_end; ++i) {
    if (is_signature_delimiter(lines[i], from_html)) delimiter = i;
  }
  SplitText out;
  out.body = join_lines(lines, 0, delimiter == std::string_view::npos ? top_end : delimiter);
  if (delimiter != std::string_view::npos) {
    out.signature = join_lines(lines, delimiter + 1, top_end);
  }
  if (cut != std::string_view::npos) out.quoted = join_lines(lines, cut, lines.size());
  if (out.body.empty()) {
    // Cutting would leave nothing new (a forward without a comment, a bare quote): keep it all.
    out = SplitText{};
    out.body = trim_block(text);
  }
  return out;
}

// ------------------------------------------------------------------------------ MIME walking

struct Collected {
  std::vector<std::string> texts;
  bool html = false;
  std::vector<Attachment> attachments;
};

std::string transfer_decoded(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, stream.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  if (!bytes || bytes->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string convert_from(std::string_view bytes, const char* charset) {
  gsize written = 0;
  GError* error = nullptr;
  char* converted = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", charset,
                              nullptr, &written, &error);
  if (error) {
    g_error_free(error);
    g_free(converted);
    return {};
  }
  GCharPtr holder(converted);
  return std::string(converted, written);
}

// The text of a text part in UTF-8 (see the charset rules at the top).
std::string part_text(GMimePart* part) {
  std::string bytes = transfer_decoded(part);
  bool valid_utf8 = g_utf8_validate(bytes.data(), static_cast<gssize>(bytes.size()), nullptr);
  const char* declared = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  std::string label = declared ? lower_ascii(trim(declared)) : std::string();
  std::string text;
  if (label.empty() || label == "us-ascii" || label == "ascii") {
    text = valid_utf8 ? bytes : convert_from(bytes, "WINDOWS-1252");
  } else if (label == "utf-8" || label == "utf8") {
    text = bytes;
  } else if (label == "iso-8859-1" || label == "latin1" || label == "iso_8859-1" ||
             label == "windows-1252" || label == "cp1252") {
    text = convert_from(bytes, "WINDOWS-1252");
    // Bytes windows-1252 leaves undefined (0x81, 0x8D, ...): plain Latin-1 never fails.
    if (text.empty() && !bytes.empty()) text = convert_from(bytes, "ISO-8859-1");
  } else {
    text = convert_from(bytes, g_mime_charset_iconv_name(label.c_str()));
    if (text.empty() && !bytes.empty()) text = bytes;  // unknown charset: keep what is valid
  }
  return normalize_line_ends(make_valid_utf8(text));
}

std::string sha256_hex(std::string_view bytes) {
  return take(g_compute_checksum_for_data(
      G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(bytes.data()), bytes.size()));
}

std::string content_type_of(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (!type) return "application/octet-stream";
  return make_valid_utf8(lower_ascii(take(g_mime_content_type_get_mime_type(type))));
}

bool is_attachment_disposition(GMimeObject* object) {
  const char* disposition = g_mime_object_get_disposition(object);
  return disposition && g_ascii_strcasecmp(disposition, "attachment") == 0;
}

// A leaf that is body text rather than an attachment.
bool is_body_text(GMimeObject* object) {
  if (!GMIME_IS_TEXT_PART(object) || is_attachment_disposition(object)) return false;
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (!g_mime_content_type_is_type(type, "text", "plain") &&
      !g_mime_content_type_is_type(type, "text", "html")) {
    return false;
  }
  const char* filename = g_mime_part_get_filename(GMIME_PART(object));
  return !filename || !*filename;
}

void add_attachment(std::string filename, GMimeObject* object, std::string_view bytes,
                    Collected& out) {
  Attachment attachment;
  attachment.filename = make_valid_utf8(filename);
  attachment.content_type = content_type_of(object);
  attachment.size_bytes = bytes.size();
  attachment.sha256 = sha256_hex(bytes);
  out.attachments.push_back(std::move(attachment));
}

void walk(GMimeObject* object, Collected& out, int depth);

void walk_alternative(GMimeMultipart* multipart, Collected& out, int depth) {
  int count = g_mime_multipart_get_count(multipart);
  if (count <= 0) return;
  int chosen = -1;
  for (int i = 0; i < count; ++i) {
    GMimeObject* child = g_mime_multipart_get_part(multipart, i);
    if (is_body_text(child) &&
        g_mime_content_type_is_type(g_mime_object_get_content_type(child), "text", "plain") &&
        !trim(part_text(GMIME_PART(child))).empty()) {
      chosen = i;
      break;
    }
  }
  if (chosen < 0) chosen = count - 1;
  for (int i = 0; i < count; ++i) {
    GMimeObject* child = g_mime_multipart_get_part(multipart, i);
    if (i == chosen) {
      walk(child, out, depth + 1);
    } else {
      Collected other;
      walk(child, other, depth + 1);
      for (Attachment& attachment : other.attachments) {
        out.attachments.push_back(std::move(attachment));
      }
    }
  }
}

void walk(GMimeObject* object, Collected& out, int depth) {
  if (!object || depth > kMaxDepth) return;
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    if (g_mime_content_type_is_type(g_mime_object_get_content_type(object), "multipart",
                                    "alternative")) {
      walk_alternative(multipart, out, depth);
      return;
    }
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i)
      walk(g_mime_multipart_get_part(multipart, i), out, depth + 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    std::string bytes;
    if (inner) {
      GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, stream.get());
      GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
      if (array) bytes.assign(reinterpret_cast<const char*>(array->data), array->len);
    }
    const char* filename = g_mime_object_get_content_disposition_parameter(object, "filename");
    std::string name = filename ? filename : "";
    if (name.empty()) {
      const char* subject = inner ? g_mime_message_get_subject(inner) : nullptr;
      name = std::string(subject && *subject ? subject : "message") + ".eml";
    }
    add_attachment(std::move(name), object, bytes, out);
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  GMimePart* part = GMIME_PART(object);
  if (is_body_text(object)) {
    std::string text = part_text(part);
    if (g_mime_content_type_is_type(g_mime_object_get_content_type(object), "text", "html")) {
      text = HtmlToText().convert(text);
      if (!trim(text).empty()) out.html = true;
    }
    if (!trim(text).empty()) out.texts.push_back(std::move(text));
    return;
  }
  const char* filename = g_mime_part_get_filename(part);
  add_attachment(filename ? filename : "", object, transfer_decoded(part), out);
}

// --------------------------------------------------------------------------------- headers

std::string address_list(InternetAddressList* list) {
  if (!list || internet_address_list_length(list) == 0) return {};
  return make_valid_utf8(take(internet_address_list_to_string(list, nullptr, FALSE)));
}

// The first mailbox of a From list, looking into groups.
InternetAddressMailbox* first_mailbox(InternetAddressList* list, int depth = 0) {
  if (!list || depth > 2) return nullptr;
  int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      InternetAddressMailbox* mailbox = INTERNET_ADDRESS_MAILBOX(address);
      const char* addr = internet_address_mailbox_get_addr(mailbox);
      if (addr && *addr) return mailbox;
    } else if (INTERNET_ADDRESS_IS_GROUP(address)) {
      if (auto* member = first_mailbox(
              internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), depth + 1)) {
        return member;
      }
    }
  }
  return nullptr;
}

std::vector<std::string> message_ids(GMimeParserOptions* options, const char* header) {
  std::vector<std::string> ids;
  if (!header || !*header) return ids;
  ReferencesPtr refs(g_mime_references_parse(options, header));
  if (!refs) return ids;
  int count = g_mime_references_length(refs.get());
  for (int i = 0; i < count; ++i) {
    const char* id = g_mime_references_get_message_id(refs.get(), i);
    if (id && *id) ids.emplace_back(id);
  }
  return ids;
}

std::vector<std::string> collect_references(GMimeMessage* message, GMimeParserOptions* options,
                                            const std::string& own_id) {
  GMimeObject* object = GMIME_OBJECT(message);
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    std::string valid = make_valid_utf8(id);
    // An id longer than any this library stores cannot name an earlier message.
    if (valid == own_id || valid.size() > kMaxMessageIdBytes || out.size() >= kMaxReferences) {
      return;
    }
    if (std::find(out.begin(), out.end(), valid) == out.end()) out.push_back(std::move(valid));
  };
  for (const std::string& id :
       message_ids(options, g_mime_object_get_header(object, "In-Reply-To"))) {
    add(id);
  }
  std::vector<std::string> references =
      message_ids(options, g_mime_object_get_header(object, "References"));
  for (auto it = references.rbegin(); it != references.rend(); ++it)
    add(*it);
  return out;
}

void set_metadata(InboundMessage& message, const std::string& key, std::string value) {
  if (value.empty()) return;
  message.metadata[key] = make_valid_utf8(value);
}

}  // namespace

Result<ParsedPayload> parse_email(std::string_view message, const ParseOptions& options) {
  const std::size_t limit = options.max_payload_bytes == kDefaultMaxPayloadBytes
                                ? kEmailMaxPayloadBytes
                                : options.max_payload_bytes;
  if (message.size() > limit) {
    return Status::resource_exhausted("email of " + std::to_string(message.size()) +
                                      " bytes exceeds the limit of " + std::to_string(limit) +
                                      " bytes");
  }
  init_gmime();

  ParserOptionsPtr parser_options(g_mime_parser_options_new());
  // Raw 8-bit headers: UTF-8 when valid, else what Western mailers mean by Latin-1.
  const char* fallback_charsets[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(parser_options.get(), fallback_charsets);

  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GObjectPtr<GMimeMessage> parsed(
      g_mime_parser_construct_message(parser.get(), parser_options.get()));
  if (!parsed) {
    return Status::invalid_argument("not an email message: no header block with a From header")
        .with_field("From");
  }
  GMimeMessage* mail = parsed.get();

  InternetAddressMailbox* sender = first_mailbox(g_mime_message_get_from(mail));
  if (!sender) {
    return Status::invalid_argument("the email has no From address").with_field("From");
  }
  const char* message_id = g_mime_message_get_message_id(mail);
  std::string id = message_id ? std::string(trim(message_id)) : std::string();
  if (id.empty()) {
    return Status::invalid_argument(
               "the email has no Message-ID: without it a redelivery cannot be recognized")
        .with_field("Message-ID");
  }

  InboundMessage out;
  out.from.kind = IdentityKind::kEmail;
  out.from.value =
      make_valid_utf8(take(internet_address_to_string(INTERNET_ADDRESS(sender), nullptr, FALSE)));
  const char* name = internet_address_get_name(INTERNET_ADDRESS(sender));
  out.display_name = make_valid_utf8(trim(name ? name : ""));
  out.provider_message_id = make_valid_utf8(id);
  if (out.provider_message_id.size() > kMaxMessageIdBytes) {
    return Status::invalid_argument(
               "the Message-ID is " + std::to_string(out.provider_message_id.size()) +
               " bytes long; at most " + std::to_string(kMaxMessageIdBytes) + " are accepted")
        .with_field("Message-ID");
  }
  const char* subject = g_mime_message_get_subject(mail);
  out.subject = make_valid_utf8(trim(subject ? subject : ""));
  if (GDateTime* date = g_mime_message_get_date(mail)) {
    out.occurred_at =
        from_unix_micros(static_cast<std::int64_t>(g_date_time_to_unix(date)) * 1'000'000 +
                         g_date_time_get_microsecond(date));
  }
  out.references = collect_references(mail, parser_options.get(), out.provider_message_id);

  Collected collected;
  walk(g_mime_message_get_mime_part(mail), collected, 0);
  std::string text;
  for (const std::string& part : collected.texts) {
    if (!text.empty()) text += "\n\n";
    text += part;
  }
  SplitText split = split_reply(text, collected.html);
  out.body = std::move(split.body);
  out.attachments = std::move(collected.attachments);
  if (out.body.empty() && out.subject.empty() && out.attachments.empty()) {
    return Status::invalid_argument("the email has no text, subject or attachment")
        .with_field("body");
  }

  set_metadata(out, "message_id", out.provider_message_id);
  set_metadata(out, "to", address_list(g_mime_message_get_addresses(mail, GMIME_ADDRESS_TYPE_TO)));
  set_metadata(out, "cc", address_list(g_mime_message_get_addresses(mail, GMIME_ADDRESS_TYPE_CC)));
  set_metadata(out, "reply_to", address_list(g_mime_message_get_reply_to(mail)));
  if (collected.html) set_metadata(out, "html", "true");
  set_metadata(out, "quoted_text", std::move(split.quoted));
  set_metadata(out, "signature", std::move(split.signature));
  if (const char* auto_submitted = g_mime_object_get_header(GMIME_OBJECT(mail), "Auto-Submitted")) {
    std::string value = lower_ascii(trim(auto_submitted));
    if (!value.empty() && value != "no") set_metadata(out, "auto_submitted", value);
  }

  ParsedPayload payload;
  payload.messages.push_back(std::move(out));
  // Tenant, channel, and the engine's limits on names, metadata and attachments.
  OMNI_RETURN_IF_ERROR(detail::stamp(&payload, options));
  return payload;
}

}  // namespace omni::adapters
