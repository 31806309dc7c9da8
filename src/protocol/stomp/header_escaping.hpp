#pragma once
// How header names and values are written on the wire (STOMP 1.2, "Value Encoding").
//
//   STOMP 1.2: `\r` `\n` `\c` `\\` stand for CR, LF, ':' and '\'; any other escape is fatal.
//   STOMP 1.1: the same without `\r`.
//   STOMP 1.0, and CONNECT, STOMP and CONNECTED frames of every version: no escaping at all
//   (the version is not negotiated yet when those frames travel).

#include <string>
#include <string_view>

#include "protocol/stomp/frame.hpp"
#include "protocol/stomp/protocol_version.hpp"

namespace livechat::stomp {

enum class header_escaping {
  none,       // text as is
  stomp_1_1,  // \n \c \\ .
  stomp_1_2,  // \r \n \c \\ .
};

/// The escaping that headers of `verb` frames use under `version`.
header_escaping escaping_for(command verb, protocol_version version);

/// Appends `text` to `out` escaped by `rules`. Characters the rules cannot express on a header
/// line (CR and LF without escaping, CR under 1.1) become spaces, so no text can split a header
/// or inject one. A ':' is escaped under 1.1 and 1.2 and written as is otherwise (the first
/// ':' of a line ends its name, so a name written without escaping must not contain one).
void append_escaped(std::string& out, std::string_view text, header_escaping rules);

/// `text` escaped by `rules`; see append_escaped.
std::string escape(std::string_view text, header_escaping rules);

/// Appends the text that `escaped` stands for under `rules` to `out`. False on an escape the
/// rules do not define, or a '\' at the very end; `out` then holds a partial result.
bool append_unescaped(std::string& out, std::string_view escaped, header_escaping rules);

}  // namespace livechat::stomp
