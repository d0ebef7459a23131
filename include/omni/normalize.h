// omni/normalize.h — how omni normalizes identities before it matches them, for hosts that want
// the same canonical form (to show it, or to look a customer up in their own CRM).
//
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

#include "omni/export.h"
#include "omni/status.h"

namespace omni {

// E.164 ("+4915112345678") of a phone number as written, parsed and validated with
// libphonenumber. `default_region` (ISO 3166 alpha-2, e.g. "DE") applies to numbers written
// without a country code ("0151 1234 5678"); "00" and "+" prefixes are international. A WhatsApp
// wa_id (the international number without "+", "4915112345678") is accepted too. Invalid or
// impossible numbers fail with kInvalidArgument; nothing is ever returned as typed.
OMNI_EXPORT Result<std::string> normalize_phone_number(std::string_view text,
                                                       const std::string& default_region);

struct NormalizedEmail {
  std::string address;       // the canonical address
  std::string display_name;  // the name it was written with, if any ("Anna Schmidt")
};

// The canonical form of an email address (ICU): display name and angle brackets stripped,
// Unicode NFC, the domain converted to its lower-case ASCII form by IDNA (UTS #46, so
// "MÜNCHEN.de" and "xn--mnchen-3ya.de" are one domain), and the local part case-folded unless
// `case_insensitive_local_part` is false. Malformed addresses fail with kInvalidArgument.
OMNI_EXPORT Result<NormalizedEmail> normalize_email_address(
    std::string_view text, bool case_insensitive_local_part = true);

// The key omni compares customer names by when it looks for likely duplicates, and that a Store
// indexes (Customer::display_name -> this key): case folded, accents removed (NFD without
// combining marks), punctuation dropped and the words sorted, so "Schmidt, Anna", "anna  SCHMIDT"
// and "Anna Schmidt" share one key, and "Jürgen Müller" matches "Jurgen Muller". Empty when the
// name has fewer than two words or looks like an address or a number (a customer named after
// their email address or phone number): a single first name says too little.
OMNI_EXPORT std::string customer_name_key(std::string_view display_name);

}  // namespace omni
