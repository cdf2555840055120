// Size-class pools for small allocations, for `writ check`. Compiling a runbook is hundreds of
// thousands of small, short-lived allocations — most of them yaml-cpp's node tree (a
// shared_ptr, a node, its data and strings per YAML node) — which glibc malloc serves through
// locked arenas, bin consolidation and size-limited per-thread caches. Once enabled, blocks of
// up to 512 bytes come from per-thread free lists carved from 256 KiB slabs, with no lock and
// no consolidation; larger ones go to malloc. Memory is never returned to the system (the
// pools stay as large as the largest file compiled needed), and the free lists of a thread that
// exits are lost with it, so only a command that runs to completion should enable it.
// The replacement operator new/delete is left out of sanitizer builds (ASan tracks malloc).
#pragma once

namespace writ::cli {

// From now on, small allocations of every thread come from the pools.
void enable_pooled_allocation();
bool pooled_enabled();

}  // namespace writ::cli
