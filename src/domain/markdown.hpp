// Knowledge-base articles are Markdown (GitHub's dialect: tables,
// strikethrough, autolinks, task lists), rendered by cmark-gfm in its safe
// mode. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sd {

struct RenderedMarkdown {
  // Safe to insert into a page: raw HTML is dropped, and links and images
  // keep only http:, https: and mailto: URLs or relative ones (no
  // javascript:, data:, vbscript:, file: or any other scheme).
  std::string html;
  // The plain text, for the search index, excerpts and mail.
  std::string text;
};

RenderedMarkdown render_markdown(std::string_view markdown);

// Whether a link or image URL is one the desk keeps (see above).
bool safe_markdown_url(std::string_view url);

}  // namespace sd
