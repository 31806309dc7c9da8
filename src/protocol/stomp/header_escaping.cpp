#include "protocol/stomp/header_escaping.hpp"

namespace livechat::stomp {

header_escaping escaping_for(command verb, protocol_version version) {
  if (verb == command::connect || verb == command::stomp || verb == command::connected) {
    return header_escaping::none;
  }
  switch (version) {
    case protocol_version::v1_0:
      return header_escaping::none;
    case protocol_version::v1_1:
      return header_escaping::stomp_1_1;
    case protocol_version::v1_2:
      return header_escaping::stomp_1_2;
  }
  return header_escaping::stomp_1_2;
}

void append_escaped(std::string& out, std::string_view text, header_escaping rules) {
  out.reserve(out.size() + text.size());
  for (const char c : text) {
    switch (c) {
      case '\n':
        out += rules == header_escaping::none ? " " : "\\n";
        break;
      case '\r':
        out += rules == header_escaping::stomp_1_2 ? "\\r" : " ";
        break;
      case ':':
        out += rules == header_escaping::none ? ":" : "\\c";
        break;
      case '\\':
        out += rules == header_escaping::none ? "\\" : "\\\\";
        break;
      default:
        out += c;
    }
  }
}

std::string escape(std::string_view text, header_escaping rules) {
  std::string out;
  append_escaped(out, text, rules);
  return out;
}

bool append_unescaped(std::string& out, std::string_view escaped, header_escaping rules) {
  if (rules == header_escaping::none) {
    out += escaped;
    return true;
  }
  out.reserve(out.size() + escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == escaped.size()) return false;
    switch (escaped[i]) {
      case 'n':
        out += '\n';
        break;
      case 'c':
        out += ':';
        break;
      case '\\':
        out += '\\';
        break;
      case 'r':
        if (rules != header_escaping::stomp_1_2) return false;
        out += '\r';
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace livechat::stomp
