// cli/json_writer.h — streams one JSON document to a FILE with RapidJSON's Writer (which escapes
// strings), plus shorthands for omni's values: ids as numbers, timestamps as RFC 3339 strings,
// absent optionals as null.
//
// Thread-safety: one writer per thread.
#pragma once

#include <rapidjson/filewritestream.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omni/clock.h"
#include "omni/ids.h"

namespace omni::cli {

class JsonWriter {
 public:
  explicit JsonWriter(std::FILE* out) : stream_(out, buffer_, sizeof buffer_), writer_(stream_) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // Ends the document with a line break and flushes it.
  void finish() {
    stream_.Put('\n');
    stream_.Flush();
  }

  void begin_object() { writer_.StartObject(); }
  void end_object() { writer_.EndObject(); }
  void begin_array() { writer_.StartArray(); }
  void end_array() { writer_.EndArray(); }
  void key(std::string_view name) { writer_.Key(name.data(), size(name)); }

  void value(std::string_view text) { writer_.String(text.data(), size(text)); }
  void value(const char* text) { value(std::string_view(text)); }
  void value(const std::string& text) { value(std::string_view(text)); }
  void value(bool flag) { writer_.Bool(flag); }
  void value(int number) { writer_.Int(number); }
  void value(std::int64_t number) { writer_.Int64(number); }
  void value(std::uint64_t number) { writer_.Uint64(number); }
  void value(double number) { writer_.Double(number); }
  void value(Timestamp t) { value(format_timestamp(t)); }
  template <typename Tag>
  void value(Id<Tag> id) {
    if (id.valid()) {
      writer_.Int64(id.value());
    } else {
      writer_.Null();
    }
  }
  template <typename T>
  void value(const std::optional<T>& v) {
    if (v) {
      value(*v);
    } else {
      writer_.Null();
    }
  }
  void value(const std::vector<std::string>& list) {
    begin_array();
    for (const std::string& s : list)
      value(s);
    end_array();
  }
  void value(const std::map<std::string, std::string>& map) {
    begin_object();
    for (const auto& [k, v] : map)
      field(k, v);
    end_object();
  }
  void null() { writer_.Null(); }

  template <typename T>
  void field(std::string_view name, const T& v) {
    key(name);
    value(v);
  }

 private:
  static rapidjson::SizeType size(std::string_view text) {
    return static_cast<rapidjson::SizeType>(text.size());
  }

  char buffer_[16 * 1024];
  rapidjson::FileWriteStream stream_;
  rapidjson::Writer<rapidjson::FileWriteStream> writer_;
};

}  // namespace omni::cli
