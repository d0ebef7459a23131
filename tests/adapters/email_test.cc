// parse_email: real messages from tests/data/email/ (CRLF line ends, as on the wire) and small
// synthetic ones for the edge cases, then end to end through an Engine on a MemoryStore.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "omni/adapters/inbound.h"
#include "omni/engine.h"
#include "omni/memory_store.h"

using namespace omni;
using omni::adapters::parse_email;
using omni::adapters::ParseOptions;

namespace {

std::string read_email(const std::string& name) {
  const std::string path = std::string(OMNI_TEST_DATA_DIR) + "/email/" + name;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

InboundMessage parse_text(const std::string& text, const ParseOptions& options = {}) {
  auto parsed = parse_email(text, options);
  INFO(parsed.status().to_string());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->messages.size() == 1);
  CHECK(parsed->statuses.empty());
  return parsed->messages.front();
}

InboundMessage parse_file(const std::string& name, const ParseOptions& options = {}) {
  INFO(name);
  return parse_text(read_email(name), options);
}

// A synthetic message: header lines and body lines joined with CRLF.
std::string mail(const std::string& headers, const std::string& body) {
  std::string text = headers + "\n\n" + body;
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const char* const kBasicHeaders =
    "From: Anna Schmidt <anna.schmidt@example.com>\n"
    "To: support@acme.example\n"
    "Subject: Test\n"
    "Date: Tue, 03 Mar 2026 09:12:45 +0100\n"
    "Message-ID: <synthetic-1@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8";

const char* const kAllSamples[] = {
    "plain_utf8.eml",
    "alternative_qp_base64.eml",
    "latin1_umlauts.eml",
    "utf8_encoded_words.eml",
    "mixed_pdf_attachment.eml",
    "related_inline_image.eml",
    "gmail_reply_en.eml",
    "outlook_reply_de.eml",
    "outlook_reply_en.eml",
    "thunderbird_reply_de.eml",
    "signature.eml",
    "html_only_reply.eml",
    "followup_in_reply_to.eml",
};

}  // namespace

TEST_CASE("email: plain UTF-8 message", "[adapters][email]") {
  ParseOptions options;
  options.tenant = TenantId(7);
  options.channel = ChannelId(3);
  InboundMessage m = parse_file("plain_utf8.eml", options);
  CHECK(m.tenant == TenantId(7));
  CHECK(m.channel == ChannelId(3));
  CHECK(m.kind == TouchpointKind::kMessageIn);
  CHECK(m.from.kind == IdentityKind::kEmail);
  CHECK(m.from.scope.empty());
  CHECK(m.from.value == "Anna Schmidt <anna.schmidt@example.com>");
  CHECK(m.display_name == "Anna Schmidt");
  // The Message-ID without its angle brackets, as In-Reply-To and References are read.
  CHECK(m.provider_message_id == "CAF1234.5678@mail.example.com");
  CHECK(m.subject == "Order A-17 has not arrived");
  CHECK(m.body ==
        "Hello,\n\nmy order A-17 from 20 February has not arrived yet. Could you check where\n"
        "it is?\n\nThanks,\nAnna – Grüße aus Köln");
  REQUIRE(m.occurred_at);
  CHECK(format_timestamp(*m.occurred_at) == "2026-03-03T08:12:45Z");
  CHECK(m.references.empty());
  CHECK(m.attachments.empty());
  CHECK(m.metadata ==
        std::map<std::string, std::string>{{"message_id", "CAF1234.5678@mail.example.com"},
                                           {"to", "Acme Support <support@acme.example>"}});
}

TEST_CASE("email: multipart/alternative prefers the quoted-printable text part",
          "[adapters][email]") {
  InboundMessage m = parse_file("alternative_qp_base64.eml");
  CHECK(m.from.value == "Sophie Weiß <sophie.weiss@example.org>");
  CHECK(m.display_name == "Sophie Weiß");
  CHECK(m.provider_message_id == "20260304130310.1a2b3c@example.org");
  CHECK(m.subject == "Umtausch Jacke A-42");
  // The soft line break of quoted-printable is joined again.
  CHECK(m.body ==
        "Guten Tag,\n\ndie Jacke (Größe M) ist leider zu klein. Kann ich sie gegen eine Jacke in "
        "Größe L umtauschen? Die Bestellnummer ist A-42.\n\nViele Grüße\nSophie Weiß");
  CHECK(m.attachments.empty());  // the HTML alternative is not an attachment
  CHECK(m.metadata.count("html") == 0);
  CHECK(format_timestamp(*m.occurred_at) == "2026-03-04T13:03:10Z");
}

TEST_CASE("email: multipart/alternative falls back to base64 HTML without a text part",
          "[adapters][email]") {
  std::string html_part =
      "PGh0bWw+PGJvZHk+PHA+SGVsbG8gJmFtcDsgZ29vZCBtb3JuaW5nLDwvcD48cD5saW5lIG9uZTxicj5s"
      "aW5lIHR3bzwvcD48L2JvZHk+PC9odG1sPg==";  // <html><body><p>Hello &amp; good morning,</p>
                                               // <p>line one<br>line two</p></body></html>
  std::string text = mail(
      "From: a@example.com\nMessage-ID: <alt-html@example.com>\nSubject: HTML\n"
      "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"",
      "--b\nContent-Type: text/plain; charset=utf-8\n\n \n--b\n"
      "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
          html_part + "\n--b--\n");
  InboundMessage m = parse_text(text);
  CHECK(m.body == "Hello & good morning,\n\nline one\nline two");
  CHECK(m.metadata.at("html") == "true");
  CHECK(m.attachments.empty());
}

TEST_CASE("email: ISO-8859-1 body and RFC 2047 ISO-8859-1 subject", "[adapters][email]") {
  InboundMessage m = parse_file("latin1_umlauts.eml");
  CHECK(m.subject == "Rückerstattung A-17");
  CHECK(m.from.value == "Jürgen Müller <juergen.mueller@example.de>");
  CHECK(m.display_name == "Jürgen Müller");
  CHECK(m.provider_message_id == "000001dc8a2b$4f3e2d10$ed5a8730$@example.de");
  // Outlook's euro sign (0x80) under an ISO-8859-1 label is read as windows-1252.
  CHECK(m.body ==
        "Sehr geehrte Damen und Herren,\n\nich bitte um Rückerstattung des Betrags von 49,90 € "
        "für die Bestellung A-17,\nda die Ware beschädigt ankam.\n\nMit freundlichen Grüßen\n"
        "Jürgen Müller");
  CHECK(m.metadata.at("to") == "Acme Kundenservice <support@acme.example>");
}

TEST_CASE("email: UTF-8 encoded words in From, Subject, Cc and Reply-To", "[adapters][email]") {
  InboundMessage m = parse_file("utf8_encoded_words.eml");
  CHECK(m.display_name == "Jürgen Müller");
  CHECK(m.from.value == "Jürgen Müller <juergen.mueller@example.de>");
  CHECK(m.subject == "Frage zur Lieferung – Größe 42");
  CHECK(m.body == "Hallo,\n\nwann wird die Lieferung in Größe 42 verschickt?\n\nDanke\nJürgen");
  CHECK(format_timestamp(*m.occurred_at) == "2026-03-06T16:45:12Z");
  CHECK(m.metadata == std::map<std::string, std::string>{
                          {"message_id", "a1b2c3d4-e5f6-4711-8a9b-0c1d2e3f4a5b@example.de"},
                          {"to", "Acme Support <support@acme.example>"},
                          {"cc", "Björn Müller <bjoern.mueller@example.de>, einkauf@example.de"},
                          {"reply_to", "Müller GmbH Einkauf <einkauf@example.de>"}});
}

TEST_CASE("email: multipart/mixed with a base64 PDF attachment", "[adapters][email]") {
  InboundMessage m = parse_file("mixed_pdf_attachment.eml");
  CHECK(m.subject == "Rechnung R-2026-0317 doppelt abgebucht");
  CHECK(m.body == "Hello,\n\nthe invoice in the attachment was charged twice to my card.\n\nAnna");
  REQUIRE(m.attachments.size() == 1);
  const Attachment& pdf = m.attachments[0];
  CHECK(pdf.filename == "Rechnung März.pdf");  // RFC 2231 filename*=UTF-8''...
  CHECK(pdf.content_type == "application/pdf");
  // The decoded file: 595 bytes, `sha256sum rechnung.pdf` of the original.
  CHECK(pdf.size_bytes == 595);
  CHECK(pdf.sha256 == "d2dc9d835f456884f27a3c1e547e60672c8e8f85c87c946b6e0218240e3cf93d");
}

TEST_CASE("email: an inline image referenced by cid: is an attachment", "[adapters][email]") {
  InboundMessage m = parse_file("related_inline_image.eml");
  CHECK(m.body == "The box arrived damaged, see the photo.");
  CHECK(m.metadata.count("html") == 0);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "box.png");
  CHECK(m.attachments[0].content_type == "image/png");
  CHECK(m.attachments[0].size_bytes == 70);
  CHECK(m.attachments[0].sha256 ==
        "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77");
}

TEST_CASE("email: Gmail reply with a wrapped attribution line", "[adapters][email]") {
  InboundMessage m = parse_file("gmail_reply_en.eml");
  CHECK(m.provider_message_id == "CAKx9fQ2=vM8pZ1yH3-gN7rT0wXs@mail.gmail.com");
  CHECK(m.subject == "Re: Order A-17 has not arrived");
  CHECK(m.body == "Hi Carla,\n\nthanks, the parcel arrived today.\n\nBest regards\nAnna");
  CHECK(m.metadata.at("quoted_text") ==
        "On Tue, 3 Mar 2026 at 10:15, Carla Diaz <carla.diaz@acme.example>\nwrote:\n\n"
        "> Hello Anna,\n>\n> your parcel is on its way, the tracking number is "
        "00340434161234567890.\n>\n> Carla\n> Acme Support\n>");
  CHECK(m.metadata.count("signature") == 0);
  CHECK(m.metadata.count("html") == 0);
  // In-Reply-To first, then References from the newest; the duplicate is dropped.
  CHECK(m.references == std::vector<std::string>{"reply-1.20260303091500@acme.example",
                                                 "CAF1234.5678@mail.example.com"});
  CHECK(m.metadata.at("to") == "Carla Diaz <carla.diaz@acme.example>");
}

TEST_CASE("email: Outlook reply in German with a Von/Gesendet/An/Betreff block",
          "[adapters][email]") {
  InboundMessage m = parse_file("outlook_reply_de.eml");
  CHECK(m.subject == "AW: Rückerstattung A-17");
  CHECK(m.display_name == "Jürgen Müller");
  CHECK(m.body ==
        "Hallo Frau Diaz,\n\nvielen Dank, die Gutschrift ist angekommen.\n\n"
        "Mit freundlichen Grüßen\nJürgen Müller");
  CHECK(m.metadata.at("quoted_text") ==
        "________________________________\n"
        "Von: Carla Diaz <carla.diaz@acme.example>\n"
        "Gesendet: Dienstag, 3. März 2026 10:15\n"
        "An: Jürgen Müller <juergen.mueller@example.de>\n"
        "Betreff: AW: Rückerstattung A-17\n\n"
        "Sehr geehrter Herr Müller,\n\nwir haben die Rückerstattung über 49,90 € veranlasst.\n\n"
        "Viele Grüße\nCarla Diaz\nAcme Kundenservice");
  CHECK(m.references == std::vector<std::string>{"reply-2.20260303101500@acme.example",
                                                 "000001dc8a2b$4f3e2d10$ed5a8730$@example.de"});
  CHECK(format_timestamp(*m.occurred_at) == "2026-03-10T07:58:41Z");
}

TEST_CASE("email: Outlook reply with -----Original Message-----", "[adapters][email]") {
  InboundMessage m = parse_file("outlook_reply_en.eml");
  CHECK(m.subject == "RE: Damaged box");
  CHECK(m.body == "A replacement would be great, thank you.\n\nPeter");
  CHECK(m.metadata.at("quoted_text") ==
        "-----Original Message-----\nFrom: Acme Support <support@acme.example>\n"
        "Sent: Tuesday, March 10, 2026 10:30 AM\nTo: Peter Brown <peter.brown@example.co.uk>\n"
        "Subject: Re: Damaged box\n\nDear Mr Brown,\n\nwe are sorry. Would you like a refund or a "
        "replacement?\n\nAcme Support");
  // References folded over two lines.
  CHECK(m.references ==
        std::vector<std::string>{"reply-3@acme.example",
                                 "5E2F1A0B-7C3D-4E8F-9A1B-2C3D4E5F6A7B@example.co.uk"});
}

TEST_CASE("email: Thunderbird reply in German (Am ... schrieb ...:)", "[adapters][email]") {
  InboundMessage m = parse_file("thunderbird_reply_de.eml");
  CHECK(m.subject == "Re: Lieferung Größe 42");  // raw UTF-8 header (RFC 6532)
  CHECK(m.display_name == "Jürgen Müller");
  CHECK(m.body == "Hallo Carla,\n\npasst, danke!\n\nGruß\nJürgen");
  CHECK(m.metadata.at("quoted_text") ==
        "Am 03.03.26 um 10:15 schrieb Carla:\n> Hallo Jürgen,\n>\n> die Ware geht morgen raus.\n"
        ">\n> Carla");
  CHECK(m.references ==
        std::vector<std::string>{"reply-4@acme.example",
                                 "a1b2c3d4-e5f6-4711-8a9b-0c1d2e3f4a5b@example.de"});
}

TEST_CASE("email: the -- signature delimiter", "[adapters][email]") {
  InboundMessage m = parse_file("signature.eml");
  CHECK(m.body == "Hello,\n\nplease cancel my subscription from April on.\n\nKind regards,\nPeter");
  CHECK(m.metadata.at("signature") == "Peter Brown\nBrown & Sons Ltd.\n+44 20 7946 0000");
  CHECK(m.metadata.count("quoted_text") == 0);
}

TEST_CASE("email: HTML-only reply with a blockquote and a signature", "[adapters][email]") {
  InboundMessage m = parse_file("html_only_reply.eml");
  CHECK(m.metadata.at("html") == "true");
  CHECK(m.body == "Hi Carla,\n\nthe \"replacement\" arrived – thanks & regards!");
  CHECK(m.metadata.at("signature") == "Peter Brown\nBrown & Sons Ltd.");
  CHECK(m.metadata.at("quoted_text") ==
        "On 11.03.2026 10:30, Carla Diaz wrote:\n> Dear Mr Brown,\n>\n"
        "> the replacement ships today.");
  CHECK(m.references == std::vector<std::string>{"reply-5@acme.example"});
}

TEST_CASE("email: quote and signature rules stay conservative", "[adapters][email]") {
  SECTION("a bottom-posted reply is not cut at its attribution line") {
    InboundMessage m = parse_text(mail(kBasicHeaders,
                                       "On Tue, 3 Mar 2026, Carla wrote:\n> Any questions?\n\n"
                                       "Yes: when does it ship?\n\n-- \nAnna\n"));
    CHECK(m.body ==
          "On Tue, 3 Mar 2026, Carla wrote:\n> Any questions?\n\nYes: when does it ship?");
    CHECK(m.metadata.at("signature") == "Anna");
    CHECK(m.metadata.count("quoted_text") == 0);
  }
  SECTION("a quote block at the end without an attribution line") {
    InboundMessage m =
        parse_text(mail(kBasicHeaders, "Thanks!\n\n> Your parcel ships today.\n>\n> Carla\n\n"));
    CHECK(m.body == "Thanks!");
    CHECK(m.metadata.at("quoted_text") == "> Your parcel ships today.\n>\n> Carla");
  }
  SECTION("an interleaved quote in the middle stays in the body") {
    InboundMessage m = parse_text(mail(kBasicHeaders, "> Size?\nM, please.\n> Colour?\nBlue.\n"));
    CHECK(m.body == "> Size?\nM, please.\n> Colour?\nBlue.");
    CHECK(m.metadata.count("quoted_text") == 0);
  }
  SECTION("German attribution with full date and address, as Gmail writes it wrapped") {
    InboundMessage m = parse_text(mail(kBasicHeaders,
                                       "Danke!\n\nAm Di., 3. März 2026 um 10:15 Uhr schrieb Anna "
                                       "Schmidt <\na@b.de>:\n\n> Hallo\n"));
    CHECK(m.body == "Danke!");
    CHECK(m.metadata.at("quoted_text") ==
          "Am Di., 3. März 2026 um 10:15 Uhr schrieb Anna Schmidt <\na@b.de>:\n\n> Hallo");
  }
  SECTION("German attribution on one line") {
    InboundMessage m = parse_text(mail(
        kBasicHeaders,
        "Erledigt.\n\nAm 03.03.2026 um 10:15 schrieb Anna Schmidt <a@b.de>:\n> Bitte prüfen.\n"));
    CHECK(m.body == "Erledigt.");
    CHECK(m.metadata.at("quoted_text") ==
          "Am 03.03.2026 um 10:15 schrieb Anna Schmidt <a@b.de>:\n> Bitte prüfen.");
  }
  SECTION("-----Ursprüngliche Nachricht-----") {
    InboundMessage m = parse_text(mail(
        kBasicHeaders,
        "Passt.\n\n-----Ursprüngliche Nachricht-----\nVon: Carla\nBetreff: Termin\n\nMorgen?\n"));
    CHECK(m.body == "Passt.");
    CHECK(m.metadata.at("quoted_text") ==
          "-----Ursprüngliche Nachricht-----\nVon: Carla\nBetreff: Termin\n\nMorgen?");
  }
  SECTION("an English Outlook header block without a separator line") {
    InboundMessage m =
        parse_text(mail(kBasicHeaders,
                        "Fine.\n\nFrom: Carla Diaz\nSent: Monday, 2 March 2026 09:00\nTo: Anna\n"
                        "Subject: Ticket\n\nOld text\n"));
    CHECK(m.body == "Fine.");
    CHECK(m.metadata.at("quoted_text") ==
          "From: Carla Diaz\nSent: Monday, 2 March 2026 09:00\nTo: Anna\nSubject: Ticket\n\n"
          "Old text");
  }
  SECTION("a lone From: line is not a header block") {
    InboundMessage m = parse_text(mail(kBasicHeaders, "From: my home address\nto the shop.\n"));
    CHECK(m.body == "From: my home address\nto the shop.");
    CHECK(m.metadata.count("quoted_text") == 0);
  }
  SECTION("a message that is only a quote keeps it as its body") {
    InboundMessage m = parse_text(mail(kBasicHeaders, "> forwarded text\n> more\n"));
    CHECK(m.body == "> forwarded text\n> more");
    CHECK(m.metadata.count("quoted_text") == 0);
  }
  SECTION("a signature delimiter inside the quote is not the sender's signature") {
    InboundMessage m = parse_text(
        mail(kBasicHeaders,
             "Ok.\n\nOn Mon, 2 Mar 2026, Carla wrote:\n> Hi\n> -- \n> Carla, Acme Support\n"));
    CHECK(m.body == "Ok.");
    CHECK(m.metadata.count("signature") == 0);
  }
}

TEST_CASE("email: header details", "[adapters][email]") {
  SECTION("an unparseable or missing Date leaves occurred_at unset") {
    CHECK_FALSE(
        parse_text(mail("From: a@example.com\nMessage-ID: <d1@x>\nDate: sometime soon", "hi\n"))
            .occurred_at);
    CHECK_FALSE(parse_text(mail("From: a@example.com\nMessage-ID: <d2@x>", "hi\n")).occurred_at);
  }
  SECTION("a From without a display name") {
    InboundMessage m = parse_text(mail("From: anna@example.com\nMessage-ID: <n@x>", "hi\n"));
    CHECK(m.from.value == "anna@example.com");
    CHECK(m.display_name.empty());
  }
  SECTION("a display name that needs quoting stays quoted in the identity value") {
    InboundMessage m =
        parse_text(mail("From: \"Müller, Jörg\" <j@example.de>\nMessage-ID: <q@x>", "hi\n"));
    CHECK(m.from.value == "\"Müller, Jörg\" <j@example.de>");
    CHECK(m.display_name == "Müller, Jörg");
  }
  SECTION("references: deduplicated, without the message's own id, newest first") {
    InboundMessage m =
        parse_text(mail("From: a@example.com\nMessage-ID: <self@x>\nIn-Reply-To: <c@x>\n"
                        "References: <a@x> <b@x>\n <c@x> <self@x>",
                        "hi\n"));
    CHECK(m.references == std::vector<std::string>{"c@x", "b@x", "a@x"});
  }
  SECTION("more than 50 references keep the nearest 50") {
    std::string refs = "References:";
    for (int i = 0; i < 60; ++i)
      refs += " <r" + std::to_string(i) + "@x>\n";
    refs.pop_back();
    InboundMessage m =
        parse_text(mail("From: a@example.com\nMessage-ID: <many@x>\n" + refs, "hi\n"));
    REQUIRE(m.references.size() == 50);
    CHECK(m.references.front() == "r59@x");
    CHECK(m.references.back() == "r10@x");
  }
  SECTION("Auto-Submitted is kept for out-of-office replies") {
    InboundMessage m = parse_text(
        mail("From: a@example.com\nMessage-ID: <ooo@x>\nAuto-Submitted: auto-replied", "Away\n"));
    CHECK(m.metadata.at("auto_submitted") == "auto-replied");
  }
  SECTION("a long quote is cut to the engine's metadata limit on a character boundary") {
    std::string quote;
    for (int i = 0; i < 600; ++i)
      quote += "> Grüße Grüße\n";
    InboundMessage m = parse_text(mail(kBasicHeaders, "New text\n\n" + quote));
    CHECK(m.body == "New text");
    const std::string& cut = m.metadata.at("quoted_text");
    CHECK(cut.size() <= 4096);
    CHECK(cut.size() > 4000);
    CHECK(cut.rfind("> Grüße Grüße\n> Grüße Grüße\n", 0) == 0);
  }
}

TEST_CASE("email: body parts and charsets", "[adapters][email]") {
  SECTION("undeclared 8-bit text that is not UTF-8 is read as windows-1252") {
    InboundMessage m =
        parse_text(mail("From: a@example.com\nMessage-ID: <cs@x>\nContent-Type: text/plain",
                        "Gr\xFC\xDF"
                        "e\n"));
    CHECK(m.body == "Grüße");
  }
  SECTION("a text/plain attachment is an attachment, not body text") {
    InboundMessage m = parse_text(
        mail("From: a@example.com\nMessage-ID: <att@x>\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=\"m\"",
             "--m\nContent-Type: text/plain\n\nSee the log.\n--m\n"
             "Content-Type: text/plain; name=\"app.log\"\n"
             "Content-Disposition: attachment; filename=\"app.log\"\n\nline 1\n--m--\n"));
    CHECK(m.body == "See the log.");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].filename == "app.log");
    CHECK(m.attachments[0].content_type == "text/plain");
    // "line 1": the line break before the boundary belongs to the boundary (RFC 2046).
    CHECK(m.attachments[0].size_bytes == 6);
    CHECK(m.attachments[0].sha256 ==
          "e828aac8d50387550b6855e9f2eed26e771a32c563635ae0a1cf273b45be4b6a");
  }
  SECTION("an attached message/rfc822 is one attachment named after its subject") {
    InboundMessage m =
        parse_text(mail("From: a@example.com\nMessage-ID: <fwd@x>\nMIME-Version: 1.0\n"
                        "Content-Type: multipart/mixed; boundary=\"m\"",
                        "--m\nContent-Type: text/plain\n\nForwarding the original.\n--m\n"
                        "Content-Type: message/rfc822\n\nFrom: b@example.com\nSubject: Original\n\n"
                        "Body of the original.\n--m--\n"));
    CHECK(m.body == "Forwarding the original.");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].filename == "Original.eml");
    CHECK(m.attachments[0].content_type == "message/rfc822");
    CHECK(m.attachments[0].size_bytes > 0);
  }
  SECTION("several inline text parts are joined") {
    InboundMessage m =
        parse_text(mail("From: a@example.com\nMessage-ID: <join@x>\nMIME-Version: 1.0\n"
                        "Content-Type: multipart/mixed; boundary=\"m\"",
                        "--m\nContent-Type: text/plain\n\nFirst.\n--m\nContent-Type: text/plain\n\n"
                        "Second.\n--m--\n"));
    CHECK(m.body == "First.\n\nSecond.");
  }
}

TEST_CASE("email: malformed and oversized payloads are refused", "[adapters][email]") {
  SECTION("no Message-ID") {
    auto parsed = parse_email(read_email("no_message_id.eml"), {});
    CHECK(parsed.status().is(StatusCode::kInvalidArgument));
    CHECK(parsed.status().field() == "Message-ID");
  }
  SECTION("not a message") {
    for (const std::string& text :
         {std::string(), std::string("hello world, this is not an email\n"),
          std::string("{\"object\":\"page\"}")}) {
      auto parsed = parse_email(text, {});
      INFO(text);
      CHECK(parsed.status().is(StatusCode::kInvalidArgument));
      CHECK(parsed.status().field() == "From");
    }
  }
  SECTION("headers without a From") {
    auto parsed = parse_email(mail("To: support@acme.example\nMessage-ID: <x@y>", "hi\n"), {});
    CHECK(parsed.status().is(StatusCode::kInvalidArgument));
    CHECK(parsed.status().field() == "From");
  }
  SECTION("larger than 25 MiB with the default options") {
    std::string huge = mail(kBasicHeaders, "") + std::string(25 * 1024 * 1024, 'a');
    auto parsed = parse_email(huge, {});
    CHECK(parsed.status().is(StatusCode::kResourceExhausted));
  }
  SECTION("larger than an explicit limit") {
    ParseOptions options;
    options.max_payload_bytes = 100;
    auto parsed = parse_email(read_email("plain_utf8.eml"), options);
    CHECK(parsed.status().is(StatusCode::kResourceExhausted));
  }
  SECTION("the default allows emails above the 1 MiB webhook limit") {
    std::string line = std::string(76, 'A') + "\n";  // base64 of zero bytes
    std::string body;
    while (body.size() < 2 * 1024 * 1024)
      body += line;
    InboundMessage m = parse_text(
        mail("From: a@example.com\nMessage-ID: <big@x>\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=\"m\"",
             "--m\nContent-Type: text/plain\n\nBig file.\n--m\n"
             "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
             "Content-Disposition: attachment; filename=zeros.bin\n\n" +
                 body + "--m--\n"));
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].size_bytes == body.size() / 77 * 57);
  }
}

TEST_CASE("email: every sample passes the engine's validation", "[adapters][email]") {
  auto engine = std::move(*Engine::open(make_memory_store()));
  for (const char* name : kAllSamples) {
    InboundMessage m = parse_file(name);
    INFO(name);
    Status status = engine->validate(m);
    INFO(status.to_string());
    CHECK(status.ok());
  }
}

TEST_CASE("email: parsing is reentrant", "[adapters][email]") {
  std::vector<std::string> texts;
  std::vector<std::string> bodies;
  for (const char* name : kAllSamples) {
    texts.push_back(read_email(name));
    bodies.push_back(parse_text(texts.back()).body);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 10; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          auto parsed = parse_email(texts[i], {});
          if (!parsed.ok() || parsed->messages.front().body != bodies[i]) ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE("email: end to end through the engine", "[adapters][email]") {
  ManualClock clock(*parse_timestamp("2026-03-03T08:15:00Z"));
  EngineOptions engine_options;
  engine_options.clock = &clock;
  auto engine = std::move(*Engine::open(make_memory_store(), engine_options));
  Tenant tenant = *engine->create_tenant("acme", "DE");
  Channel mailbox =
      *engine->create_channel({tenant.id, ChannelKind::kEmail, "support@acme.example", {}});
  ParseOptions options;
  options.tenant = tenant.id;
  options.channel = mailbox.id;

  InboundMessage first = parse_file("plain_utf8.eml", options);
  auto opened = engine->receive(first);
  INFO(opened.status().to_string());
  REQUIRE(opened.ok());
  CHECK(opened->new_customer);
  CHECK(opened->new_conversation);
  CHECK_FALSE(opened->duplicate);
  auto view = *engine->customer_view(tenant.id, opened->customer);
  CHECK(view.customer.display_name == "Anna Schmidt");
  CHECK(view.identities.at(0).value == "anna.schmidt@example.com");

  SECTION("the same .eml received twice is stored once") {
    auto again = engine->receive(parse_file("plain_utf8.eml", options));
    REQUIRE(again.ok());
    CHECK(again->duplicate);
    CHECK(again->touchpoint == opened->touchpoint);
    CHECK(again->conversation == opened->conversation);
    auto conversation = *engine->conversation_view(tenant.id, opened->conversation);
    CHECK(conversation.touchpoints.size() == 1);
    REQUIRE_FALSE(conversation.touchpoints.empty());
    CHECK(conversation.touchpoints[0].subject == "Order A-17 has not arrived");
  }

  SECTION("attachments and metadata are stored with the touchpoint") {
    auto invoice = engine->receive(parse_file("mixed_pdf_attachment.eml", options));
    REQUIRE(invoice.ok());
    CHECK(invoice->customer == opened->customer);
    CHECK(invoice->conversation == opened->conversation);  // the active conversation
    auto conversation = *engine->conversation_view(tenant.id, opened->conversation);
    REQUIRE(conversation.touchpoints.size() == 2);
    const Touchpoint& stored = conversation.touchpoints[1];
    REQUIRE(stored.attachments.size() == 1);
    CHECK(stored.attachments[0].filename == "Rechnung März.pdf");
    CHECK(stored.attachments[0].sha256 ==
          "d2dc9d835f456884f27a3c1e547e60672c8e8f85c87c946b6e0218240e3cf93d");
    CHECK(stored.metadata.at("message_id") == "CAF9876.4321@mail.example.com");
  }
}

TEST_CASE("email: a reply threads into its conversation by In-Reply-To", "[adapters][email]") {
  ManualClock clock(*parse_timestamp("2026-03-03T08:15:00Z"));
  EngineOptions engine_options;
  engine_options.clock = &clock;
  auto engine = std::move(*Engine::open(make_memory_store(), engine_options));
  Tenant tenant = *engine->create_tenant("acme", "DE");
  Channel mailbox =
      *engine->create_channel({tenant.id, ChannelKind::kEmail, "support@acme.example", {}});
  ParseOptions options;
  options.tenant = tenant.id;
  options.channel = mailbox.id;

  auto first = engine->receive(parse_file("plain_utf8.eml", options));
  REQUIRE(first.ok());
  REQUIRE(engine->resolve(tenant.id, first->conversation).ok());
  // Long past the reopen window: only the thread can lead the reply back.
  clock.set(*parse_timestamp("2026-05-05T08:05:00Z"));

  InboundMessage reply = parse_file("followup_in_reply_to.eml", options);
  REQUIRE(reply.references == std::vector<std::string>{"CAF1234.5678@mail.example.com"});
  CHECK(reply.body == "The same order is missing a part, please have a look again.");
  auto threaded = engine->receive(reply);
  INFO(threaded.status().to_string());
  REQUIRE(threaded.ok());
  CHECK(threaded->customer == first->customer);
  CHECK(threaded->conversation == first->conversation);
  CHECK(threaded->reopened);
  CHECK_FALSE(threaded->new_conversation);
}

// Inputs the fuzzer (make fuzz) found; each once made a parsed message that receive() refused.
TEST_CASE("email: fuzzer regressions are refused cleanly", "[adapters][email]") {
  // A 288-byte Message-ID of control and Latin-1 bytes: longer than any provider id omni stores.
  const std::string long_id = read_email("../fuzz-regressions/email/long-message-id.eml");
  auto parsed = parse_email(long_id, ParseOptions{});
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().is(StatusCode::kInvalidArgument));
  CHECK(parsed.status().field() == "Message-ID");

  // The same limit for references: an over-long one is dropped, the message is kept.
  const std::string reply =
      "From: Anna <anna@example.de>\r\nMessage-ID: <r1@example.de>\r\nIn-Reply-To: <" +
      std::string(300, 'x') + "@example.de>\r\nReferences: <ok@example.de>\r\n\r\nDanke\r\n";
  InboundMessage m = parse_text(reply);
  CHECK(m.references == std::vector<std::string>{"ok@example.de"});

  // More attachments than the engine takes: refused, not half-stored.
  std::string many =
      "From: Anna <anna@example.de>\r\nMessage-ID: <many@example.de>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < 101; ++i) {
    many +=
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        "filename=\"f" +
        std::to_string(i) + ".bin\"\r\n\r\nx\r\n";
  }
  many += "--b--\r\n";
  auto too_many = parse_email(many, ParseOptions{});
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().is(StatusCode::kResourceExhausted));
  CHECK(too_many.status().field() == "attachments");
}

TEST_CASE("email: a mail with nothing in it is refused", "[adapters][email]") {
  // Found by the fuzzer: a mangled Subject header and an HTML body of nothing but a style block.
  auto parsed = parse_email(read_email("../fuzz-regressions/email/empty-body.eml"), ParseOptions{});
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().is(StatusCode::kInvalidArgument));
  CHECK(parsed.status().field() == "body");
}
