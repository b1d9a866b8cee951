// DECRYPT steps: OpenPGP decryption through GPGME.
//
// Keys are configured per server and user in the data folder as AWS keeps them in Secrets
// Manager: DIR/SERVER_ID/USER_NAME.json, else DIR/SERVER_ID/@pgp-default.json, each holding
// {"PGPPrivateKey": "-----BEGIN PGP PRIVATE KEY BLOCK-----...", "PGPPassphrase": "..."}
// (the passphrase may be absent or empty for a key without one).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace stepway::transfer {

struct PgpKey {
  std::string private_key;  // ASCII-armored secret key
  std::string passphrase;   // "" when the key has none
};

// The keys for `user_name` of `server_id` under `keys_dir`: the user's, then the server's
// default; empty when neither file exists. kInvalidArgument for a file that is not such JSON.
Result<std::vector<PgpKey>> LoadPgpKeys(const std::string& keys_dir, const std::string& server_id,
                                        const std::string& user_name);

// Decrypts the OpenPGP message (binary or armored) in `in_path` into `out_path` with whichever
// of `keys` opens it. kFailedPrecondition when none does or the input is not OpenPGP data
// (message says why); kInternal for GPGME failures. Uses a private, temporary GnuPG home, never
// the user's keyring. Thread-safe.
Status DecryptFile(const std::string& in_path, const std::string& out_path,
                   const std::vector<PgpKey>& keys);

}  // namespace stepway::transfer
