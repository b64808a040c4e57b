#include "domain/markdown.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace sd {
namespace {

struct FreeNode {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
struct FreeParser {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};
struct FreeIter {
  void operator()(cmark_iter* i) const { cmark_iter_free(i); }
};

std::string take(char* s) {
  if (!s) return {};
  std::string out(s);
  std::free(s);
  return out;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool safe_markdown_url(std::string_view url) {
  // Browsers ignore tabs, newlines and leading spaces and controls in a
  // scheme ("java\tscript:"); so does this check.
  std::string scheme;
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) continue;
    if (c == ':') {
      return scheme == "http" || scheme == "https" || scheme == "mailto";
    }
    if (c == '/' || c == '?' || c == '#') return true;  // relative: no scheme
    scheme += lower(c);
  }
  return true;
}

RenderedMarkdown render_markdown(std::string_view markdown) {
  static std::once_flag registered;
  std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
  const int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
  std::unique_ptr<cmark_parser, FreeParser> parser(cmark_parser_new(options));
  for (const char* name : {"table", "strikethrough", "autolink", "tasklist"})
    if (auto* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, FreeNode> doc(cmark_parser_finish(parser.get()));
  RenderedMarkdown out;
  if (!doc) return out;
  {
    std::unique_ptr<cmark_iter, FreeIter> it(cmark_iter_new(doc.get()));
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it.get())) != CMARK_EVENT_DONE) {
      if (ev != CMARK_EVENT_ENTER) continue;
      cmark_node* n = cmark_iter_get_node(it.get());
      const auto type = cmark_node_get_type(n);
      if (type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE) {
        const char* url = cmark_node_get_url(n);
        if (url && !safe_markdown_url(url)) cmark_node_set_url(n, "");
      }
    }
  }
  // Safe mode (no CMARK_OPT_UNSAFE): raw HTML becomes a comment saying so.
  out.html =
      take(cmark_render_html(doc.get(), options, cmark_parser_get_syntax_extensions(parser.get())));
  out.text = take(cmark_render_plaintext(doc.get(), options, 0));
  return out;
}

}  // namespace sd
