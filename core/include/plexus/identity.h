#pragma once

#include <string>
#include <string_view>

namespace plexus {

/// A peer's identity on the wire: raw bytes, by convention "<pid>|<Role>|<uuid4 hex>" (the form
/// Scaler 1.9.9 uses: "1234|Client|9f...", "1234|Agent|0c..."). Identities are the routing key of
/// every message; the scheduler never invents or alters one it received.
using Identity = std::string;

/// A fresh identity "<pid>|<role>|<uuid4 hex>". Thread-safe.
Identity makeIdentity(std::string_view role);

/// `bytes` made safe to print in a log line: printable ASCII as is, anything else as \xNN.
std::string printable(std::string_view bytes);

/// `bytes` as lowercase hex (for ids that are not text, such as task and object ids).
std::string toHex(std::string_view bytes);

}  // namespace plexus
