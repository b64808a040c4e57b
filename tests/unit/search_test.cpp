// The pure parts of search and the knowledge base: reading what people type
// into terms, the words worth suggesting on, safe snippets, the line diff
// of versions, and Markdown rendered safely.
#include "domain/search.hpp"

#include <gtest/gtest.h>

#include <random>

#include "domain/diff.hpp"
#include "domain/markdown.hpp"

namespace sd {
namespace {

std::vector<SearchTerm> terms(std::string_view q) {
  auto r = parse_search(q);
  EXPECT_TRUE(r) << q;
  return r ? r->terms : std::vector<SearchTerm>{};
}

TEST(ParseSearch, WordsArePrefixesPhrasesAreExact) {
  EXPECT_EQ(terms("impres  toner"), (std::vector<SearchTerm>{{"impres", true}, {"toner", true}}));
  EXPECT_EQ(terms("\"no imprime\" piso"),
            (std::vector<SearchTerm>{{"no imprime", false}, {"piso", true}}));
  // An unclosed quote runs to the end: what someone is still typing.
  EXPECT_EQ(terms("red \"sala de jun"),
            (std::vector<SearchTerm>{{"red", true}, {"sala de jun", false}}));
  // One or two letters, or a number, are exact: "3" must not find "30",
  // nor "pc" every word that begins with it.
  EXPECT_EQ(terms("a 3 pc red"),
            (std::vector<SearchTerm>{{"a", false}, {"3", false}, {"pc", false}, {"red", true}}));
  // Punctuation inside a word keeps its parts together.
  EXPECT_EQ(terms("wi-fi"), (std::vector<SearchTerm>{{"wi fi", false}}));
  EXPECT_EQ(terms("wi-fi-red"), (std::vector<SearchTerm>{{"wi fi red", true}}));
  EXPECT_EQ(terms("impresora IMPRESORA impresora"),
            (std::vector<SearchTerm>{{"impresora", true}, {"IMPRESORA", true}}))
      << "repeats go (case is the back ends' to fold)";
  EXPECT_EQ(terms("aplicación"), (std::vector<SearchTerm>{{"aplicación", true}}));
}

TEST(ParseSearch, OperatorsOfAnySyntaxAreOnlySeparators) {
  const char* hostile[] = {"NEAR(a b)",   "a OR b",     "a AND NOT b", "subject:foo",
                           "{subject}:x", "^x",         "-x",          "x*",
                           "(a) (b",      "a\"b\"c",    "a:*",         "'a' <-> 'b'",
                           "a & b | !c",  "col:x OR y", "\\\"x\\\"",   "\x01x\x1fy\x7f"};
  for (const char* q : hostile) {
    auto r = parse_search(q);
    ASSERT_TRUE(r) << q;
    for (const auto& t : r->terms)
      for (char c : t.words)
        EXPECT_TRUE(c == ' ' || static_cast<unsigned char>(c) >= 0x80 || (c >= '0' && c <= '9') ||
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            << "'" << c << "' in a term of " << q;
  }
  EXPECT_EQ(terms("subject:foo"), (std::vector<SearchTerm>{{"subject", true}, {"foo", true}}));
  EXPECT_EQ(terms("NEAR(impresora piso"),
            (std::vector<SearchTerm>{{"NEAR", true}, {"impresora", true}, {"piso", true}}));
}

TEST(ParseSearch, RefusesWhatCannotBeASearch) {
  for (std::string q : {std::string(""), std::string("*"), std::string("\"\""), std::string("()"),
                        std::string("\x01\x02"), std::string("\xff\xfe"), std::string(501, 'a'),
                        std::string("— …")}) {
    auto r = parse_search(q);
    EXPECT_FALSE(r) << q;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
    }
  }
  std::string many;
  for (int i = 0; i < 17; ++i) many += "w" + std::to_string(i) + " ";
  EXPECT_FALSE(parse_search(many)) << "more than 16 terms";
  EXPECT_TRUE(parse_search(std::string(500, 'a')));
}

TEST(ParseSearch, TicketNumbersAndEmails) {
  auto r = parse_search("SD-000123");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ticket_number, 123);
  EXPECT_EQ(r->terms, (std::vector<SearchTerm>{{"SD 000123", false}}));
  EXPECT_EQ(parse_search("sd-77 impresora")->ticket_number, 77);
  EXPECT_EQ(parse_search("  456 ")->ticket_number, 456);
  EXPECT_FALSE(parse_search("impresora 3")->ticket_number) << "a number among words is a word";
  EXPECT_FALSE(parse_search("1234567890123")->ticket_number) << "13 digits";
  EXPECT_FALSE(parse_search("0")->ticket_number);
  auto e = parse_search("Ana.Lopez@Example.COM impresora");
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->email);
  EXPECT_EQ(*e->email, "ana.lopez@example.com");
  EXPECT_EQ(e->terms.front(), (SearchTerm{"Ana Lopez Example COM", false}));
  EXPECT_FALSE(parse_search("ana@")->email);
}

TEST(ParseSearch, NeverFailsOtherwiseOnRandomBytes) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab \"*()-:^{}\\'<>|&!\x01\xc3\xa1\xe2\x80\x94@.SD0123";
  for (int i = 0; i < 5000; ++i) {
    std::string q;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) q += alphabet[rng() % alphabet.size()];
    auto r = parse_search(q);
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << q;
      continue;
    }
    for (const auto& t : r->terms) {
      EXPECT_FALSE(t.words.empty());
      EXPECT_EQ(t.words.find('"'), std::string::npos);
      EXPECT_EQ(t.words.find('\''), std::string::npos);
    }
  }
}

TEST(SignificantTerms, KeepTheWordsThatSaySomething) {
  auto t = significant_terms("Hola, mi impresora no imprime desde el lunes, ¿me ayudan por favor?");
  std::vector<std::string> words;
  for (auto& x : t) {
    EXPECT_TRUE(x.prefix);
    words.push_back(x.words);
  }
  EXPECT_EQ(words, (std::vector<std::string>{"impresora", "imprime", "ayudan", "lunes"}));
  EXPECT_TRUE(significant_terms("no sé").empty());
  EXPECT_TRUE(significant_terms("\xff\xfe").empty());
  EXPECT_EQ(significant_terms("uno dos tres cuatro cinco seis", 2).size(), 2u);
}

TEST(Snippet, IsTextAndMarksOnly) {
  EXPECT_EQ(snippet_html("la \x01impresora\x02 <b>\"x\"</b> & 'y'"),
            "la <mark>impresora</mark> &lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &#39;y&#39;");
  EXPECT_EQ(snippet_html("\x01open"), "<mark>open</mark>") << "an open mark is closed";
  EXPECT_EQ(snippet_html("a\x02\x02 b\x01\x01 c"), "a b<mark> c</mark>") << "marks balanced";
  EXPECT_EQ(snippet_html("a\x06\x1f\nb"), "a b") << "controls dropped, lines joined";
  EXPECT_EQ(snippet_html("\xEE\x80\x80"
                         "b\xEE\x80\x81 \xEE\x80\x82"),
            "&lt;b&gt; &amp;")
      << "stand-ins for < > &";
}

TEST(Diff, FewestLinesChanged) {
  auto d = diff_lines("a\nb\nc\n", "a\nB\nc\nd\n");
  EXPECT_EQ(d, (std::vector<DiffLine>{{DiffOp::equal, "a\n"},
                                      {DiffOp::remove, "b\n"},
                                      {DiffOp::insert, "B\n"},
                                      {DiffOp::equal, "c\n"},
                                      {DiffOp::insert, "d\n"}}));
  EXPECT_EQ(diff_lines("", "x"), (std::vector<DiffLine>{{DiffOp::insert, "x"}}));
  EXPECT_EQ(diff_lines("x\ny", ""),
            (std::vector<DiffLine>{{DiffOp::remove, "x\n"}, {DiffOp::remove, "y"}}));
  EXPECT_TRUE(diff_lines("", "").empty());
  // Only insertions and removals, and the result rebuilds both texts.
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    std::string a, b;
    for (int k = 0; k < 30; ++k) {
      if (rng() % 2) a += std::string(1, static_cast<char>('a' + rng() % 4)) + "\n";
      if (rng() % 2) b += std::string(1, static_cast<char>('a' + rng() % 4)) + "\n";
    }
    std::string ra, rb;
    for (const auto& l : diff_lines(a, b)) {
      if (l.op != DiffOp::insert) ra += l.text;
      if (l.op != DiffOp::remove) rb += l.text;
    }
    EXPECT_EQ(ra, a);
    EXPECT_EQ(rb, b);
  }
}

TEST(Markdown, RendersGithubsDialect) {
  auto r = render_markdown(
      "# Título\n\n**negrita** ~~tachado~~ https://example.com\n\n| a | b |\n|---|---|\n| 1 | 2 "
      "|\n\n- [x] hecho\n");
  EXPECT_NE(r.html.find("<h1>Título</h1>"), std::string::npos) << r.html;
  EXPECT_NE(r.html.find("<strong>negrita</strong>"), std::string::npos);
  EXPECT_NE(r.html.find("<del>tachado</del>"), std::string::npos);
  EXPECT_NE(r.html.find("<table>"), std::string::npos);
  EXPECT_NE(r.html.find("href=\"https://example.com\""), std::string::npos);
  EXPECT_NE(r.html.find("checkbox"), std::string::npos);
  EXPECT_NE(r.text.find("negrita"), std::string::npos);
  EXPECT_EQ(r.text.find("**"), std::string::npos) << r.text;
}

TEST(Markdown, NothingActiveGetsThrough) {
  const char* hostile[] = {
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "[x](javascript:alert(1))",
      "[x](JaVaScRiPt:alert(1))",
      "[x](java\tscript:alert(1))",
      "[x](&#106;avascript:alert(1))",
      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "![i](data:image/png;base64,iVBORw0KGgo=)",
      "![i](javascript:alert(1))",
      "[x](vbscript:msgbox)",
      "[x](file:///etc/passwd)",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<iframe src=//example.com></iframe>",
      "[x]: javascript:alert(1)\n\n[y][x]",
      "<javascript:alert(1)>",
      "<div onclick=alert(1)>x</div>",
  };
  for (const char* md : hostile) {
    const std::string html = render_markdown(md).html;
    std::string lower;
    for (char c : html) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // No element but cmark's own, no event handler, and every URL in an
    // attribute a safe one (text that merely shows "javascript:" is inert).
    for (const char* bad :
         {"<script", "<img src=x", "<iframe", "<div", "onerror", "onclick", "<a href=\"javascript"})
      EXPECT_EQ(lower.find(bad), std::string::npos) << md << " -> " << html;
    for (const char* attr : {"href=\"", "src=\""})
      for (auto at = lower.find(attr); at != std::string::npos; at = lower.find(attr, at + 1)) {
        const auto start = at + std::string_view(attr).size();
        const auto end = lower.find('"', start);
        EXPECT_TRUE(safe_markdown_url(lower.substr(start, end - start))) << md << " -> " << html;
      }
  }
  EXPECT_TRUE(safe_markdown_url("https://example.com/a?b#c"));
  EXPECT_TRUE(safe_markdown_url("mailto:mesa@example.com"));
  EXPECT_TRUE(safe_markdown_url("/portal/articles/3"));
  EXPECT_TRUE(safe_markdown_url("#pasos"));
  EXPECT_TRUE(safe_markdown_url("guia.html"));
  EXPECT_FALSE(safe_markdown_url(" javascript:x"));
  EXPECT_FALSE(safe_markdown_url("ftp://example.com"));
}

}  // namespace
}  // namespace sd
