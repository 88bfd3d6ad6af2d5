/*
 * log_report.h - log files into the report (target "log", and bundles):
 * report.logs from each file's facts, report.events in timeline order
 * (log_events_compare), and the verdict's findings (log_verdict.c).
 */
#ifndef COREKIT_LOG_REPORT_H
#define COREKIT_LOG_REPORT_H

#include "log_events.h"
#include "report.h"

/* Add the files' facts and events (in timeline order) to r, then the verdict. */
struct ck_error *log_report_add(struct report *r, struct log_file *const *files, size_t n);

/*
 * Findings from the log files' events of r->events (marks the events they
 * rest on as `problem`; the kernel's own ring is the kernel analyzers'):
 *   crash   vmx-crash, monitor-panic, unrecoverable-error, userworld-dump
 *           (but not a vmx dump that vm-support took: one followed within
 *           LOG_VMSUPPORT_DUMP_S by a suspend in a vmware.log of the report),
 *           vmx-exit with a code other than 0, a core-dump with no other crash
 *   panic   psod, oops, bug, panic (guest kernels, a Windows guest's bugcheck)
 *   lockup  soft-lockup, hard-lockup, rcu-stall, a panic on a lockup
 *   hung    hung-task, a stun of LOG_STUN_HUNG_S or more
 *   tools   tools-heartbeat, guestrpc-timeout on any channel but toolbox-dnd
 * Not problems: vmx-exit 0 (normal exit or migration source), cpu-reset
 * (soft: the guest rebooted), power-on, suspend, warning, toolbox-dnd
 * timeouts (drag and drop; harmless alone).  One finding per kind: none
 * of a kind the report has already (a bundle's kernel analysis).
 * Each finding's signature (signature.h) is the set of its events' facts
 * (log_event_facts), so two logs of the same problem at other times, with
 * other pids, addresses or counts, or seen more or less often, hash alike.
 */
struct ck_error *log_verdict(struct report *r);

/*
 * One line of what identifies an event, for signatures: its kind, then
 * thread=, comm=, module=, function= (of the ip), signal=, channel=,
 * frames= (up to 5 function names; bare addresses left out), what= (the
 * summary); names normalised as symbols are (sym_normalize_name), numbers
 * that vary between occurrences replaced by '#' ("0x#" for hex):
 *   hung-task comm=jbd2/sda3-# frames=schedule|... what=task jbd2/sda3-#:# blocked for more than # seconds.
 * Malloc'd; NULL when out of memory.
 */
char *log_event_facts(const struct rpt_event *e);

#define LOG_STUN_HUNG_S 1.0
/* vm-support -Z suspends the hung VM after dumping its vmx, and waits up to 180 s for it (§7.1) */
#define LOG_VMSUPPORT_DUMP_S 180.0

#endif
