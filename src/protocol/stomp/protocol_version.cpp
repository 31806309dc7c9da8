#include "protocol/stomp/protocol_version.hpp"

#include "model/text.hpp"

namespace livechat::stomp {

std::string_view to_string(protocol_version version) {
  switch (version) {
    case protocol_version::v1_0:
      return "1.0";
    case protocol_version::v1_1:
      return "1.1";
    case protocol_version::v1_2:
      return "1.2";
  }
  return "1.2";
}

std::optional<protocol_version> negotiate_version(std::optional<std::string_view> accept_version) {
  if (!accept_version) return protocol_version::v1_0;
  std::optional<protocol_version> best;
  std::string_view rest = *accept_version;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view entry = model::trim_blanks(rest.substr(0, comma));
    std::optional<protocol_version> offered;
    if (entry == "1.0") offered = protocol_version::v1_0;
    if (entry == "1.1") offered = protocol_version::v1_1;
    if (entry == "1.2") offered = protocol_version::v1_2;
    if (offered && (!best || *offered > *best)) best = offered;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return best;
}

}  // namespace livechat::stomp
