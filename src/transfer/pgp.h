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
// default; empty when neither file exists. kInvalidArgument for a file that is not such JSON
// (the message names the file and the problem; "PGPPrivateKey" must be an armored secret key)
// and for a server id or user name that is not a single path component; kInternal for a file
// that exists but cannot be read.
Result<std::vector<PgpKey>> LoadPgpKeys(const std::string& keys_dir, const std::string& server_id,
                                        const std::string& user_name);

// Decrypts the OpenPGP message (binary or armored) in `in_path` into `out_path` with whichever
// of `keys` opens it, streaming from file to file. The plaintext is written beside `out_path`
// and renamed onto it on success (replacing a file of that name); on failure `out_path` is left
// as it was. kFailedPrecondition when no key opens it, a key's passphrase is wrong, no key is
// given or none imports, or the input is not OpenPGP encrypted data or is corrupt (the message
// says which); kNotFound when `in_path` does not exist; kInternal for I/O and GPGME failures.
//
// Each call imports the keys into a private temporary GnuPG home (never the user's keyring),
// which starts a gpg-agent for it; the agent is stopped and the home removed before returning.
// Blocking (a few gpg runs, ~0.1 s plus the data). Thread-safe.
Status DecryptFile(const std::string& in_path, const std::string& out_path,
                   const std::vector<PgpKey>& keys);

}  // namespace stepway::transfer
