#pragma once
// The files the server hands to browsers (the chat page, Swagger UI, the API documents),
// built into the binary at build time: the list is in CMakeLists.txt (livechat_embed_files),
// the table is generated (cmake/EmbedFiles.cmake). docs/web.md tells the whole story.

#include <string_view>

namespace livechat::web {

struct embedded_file {
  std::string_view name;          // e.g. "swagger-ui/index.html"
  std::string_view content_type;  // from the source file's extension
  std::string_view body;
  std::string_view sha256;        // of the body, in hex: a strong ETag
};

/// The file built in under `name`; null when there is none.
const embedded_file* find_embedded_file(std::string_view name);

}  // namespace livechat::web
