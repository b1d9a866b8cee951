// Base64 (RFC 4648): the standard alphabet with padding, and the URL-safe one without.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stepway {

enum class Base64Alphabet {
  kStandard,  // A-Z a-z 0-9 + /, padded with '='
  kUrl,       // A-Z a-z 0-9 - _, unpadded
};

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::kStandard);

// The bytes `text` encodes in `alphabet`; nullopt for a character outside it or a length no
// encoding has. The standard alphabet's '=' padding ends the text.
std::optional<std::string> Base64Decode(std::string_view text,
                                        Base64Alphabet alphabet = Base64Alphabet::kStandard);

}  // namespace stepway
