// The runtime's name for common/unique_fd.h.
#pragma once

#include "common/unique_fd.h"

namespace writ::runtime {
using writ::UniqueFd;
}  // namespace writ::runtime
