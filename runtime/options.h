// Every limit the runtime enforces, in one place (the sandbox bounds of DESIGN §9 and §12).
// A limit hit is reported as data — a failed step, a refused approval, a clear error — never
// a crash or a hang. Each limit has a test in the test file of the component that enforces
// it, named in the comment (tests/unit/runtime/..., tagged [limits]).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace writ::runtime {

struct RuntimeOptions {
  // Wall time one `writ run`, `--resume` or `writ rollback` invocation may take, measured by
  // the Clock from the start of the invocation. When reached, the current step fails with
  // "run time limit reached" and no further step starts; approval waits and connector calls
  // are cut to what is left. (interpreter_test.cc)
  std::chrono::seconds max_run_time{std::chrono::hours(24)};

  // Steps one runbook may hold for the runtime to accept it. (plan_test.cc)
  std::size_t max_steps = 1000;
  // Elements one for-each step may run over (each is a call, a log entry and journal
  // records); a longer list fails the step when it is rendered, before any of its calls.
  // (plan_test.cc)
  std::size_t max_for_each_elements = 1000;
  // Bytes of a connector reply read for a step's outputs (`{"outputs": {...}}`); a longer one
  // fails the step. (interpreter_test.cc)
  std::size_t max_output_bytes = 64 * 1024;

  // Body bytes accepted from a connector or the approval service; more aborts the transfer
  // and counts as a failure (fail closed). (http_client_test.cc)
  std::size_t max_response_bytes = 1024 * 1024;

  // Bytes kept from each of an exec connector's stdout and stderr; the rest is drained and
  // dropped, and the result says it was truncated. (subprocess_test.cc)
  std::size_t max_exec_output_bytes = 64 * 1024;

  // Event file size and JSON nesting depth of any JSON the runtime reads (event, approvals
  // file, approval replies, journal lines). (json_input_test.cc, event_test.cc)
  std::size_t max_event_bytes = 1024 * 1024;
  std::size_t max_json_depth = 64;

  // Cap on a step's `retries` (more is clamped), and the exponential backoff between
  // attempts: initial, doubled each time, never above max. (interpreter_test.cc)
  int max_retries = 10;
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{std::chrono::seconds(30)};

  // Approval polling after `202 {"poll": URL}`: initial interval, doubled, capped.
  // (http_approval_test.cc)
  std::chrono::milliseconds approval_poll_initial{250};
  std::chrono::milliseconds approval_poll_max{std::chrono::seconds(5)};

  // TCP/TLS connect timeout of every HTTP request (never longer than the request's own
  // timeout). (http_client_test.cc)
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};

  // Resource limits of an exec connector's child process (setrlimit before exec): address
  // space, open files, bytes per written file. CPU seconds follow the call's timeout.
  // (subprocess_test.cc)
  std::uint64_t exec_max_memory_bytes = 1024ULL * 1024 * 1024;
  std::uint64_t exec_max_open_files = 64;
  std::uint64_t exec_max_file_bytes = 64ULL * 1024 * 1024;

  // After an exec call, the sweep of escaped descendants (subprocess.h): rounds (each kills
  // every stray child of writ, then reaps them; a round reaches one more generation) and the
  // time all rounds may take together. (subprocess_test.cc)
  int exec_sweep_rounds = 64;
  std::chrono::milliseconds exec_sweep_time{std::chrono::seconds(5)};

  // Bytes of foreign text — a response body, an approver's reason, a transport error — copied
  // into an error, the journal or the output, after every secret was replaced by `***`
  // (secrets.h). (secrets_test.cc)
  std::size_t max_error_excerpt_bytes = 512;

  // Bytes of the plan a runbook renders for one event (its canonical JSON, as journaled once
  // in run_started): a larger plan is refused before the run starts, naming the runbook and
  // the size. Event values are copied into every argument that uses them, so a 1 MiB event
  // field used by 40 steps renders 40 MiB. (plan_test.cc)
  std::size_t max_plan_bytes = 64 * 1024 * 1024;

  // Bytes of one journal line. The writer refuses a longer record before writing it (so
  // before the effect it announces; a run_started that large refuses the run), and the
  // readers (--resume, rollback, metrics) refuse a longer line: the writer never produces a
  // journal the readers refuse. run_started, the largest record, holds the plan
  // (max_plan_bytes), the event twice (text and typed fields, within max_event_bytes each,
  // escaped) and the runbook's IR; every other record holds at most a reply or an output
  // (max_response_bytes, max_exec_output_bytes) and names. Readers stream, so memory follows
  // this bound, not the journal's length. (journal_test.cc)
  std::size_t max_journal_record_bytes = 96 * 1024 * 1024;
};

}  // namespace writ::runtime
