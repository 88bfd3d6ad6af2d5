/* khung.c - the kernel's hung-task rule and HZ inference (khung.h). */
#include "khung.h"


enum khung_why khung_check(const struct khung_task *t, uint64_t jiffies, uint64_t timeout_jiffies,
			   uint64_t *blocked_jiffies, bool *has_blocked)
{
	*has_blocked = false;
	*blocked_jiffies = 0;
	if (!(t->state & KHUNG_TASK_UNINTERRUPTIBLE) ||
	    (t->state & (KHUNG_TASK_WAKEKILL | KHUNG_TASK_NOLOAD | KHUNG_TASK_FROZEN)))
		return KHUNG_NOT_CHECKED;
	uint64_t count = t->nvcsw + t->nivcsw;	/* unsigned long arithmetic, as the kernel's */
	if (!count)
		return KHUNG_NEVER_SWITCHED;
	if (count != t->last_switch_count)
		return KHUNG_SWITCHED;
	/* time_is_after_jiffies(a) is (long)(jiffies - a) < 0: wrap-safe. */
	int64_t since = (int64_t)(jiffies - t->last_switch_time);
	if (since < 0)
		return KHUNG_NOT_YET;	/* recorded in the future: a torn or corrupt record */
	*blocked_jiffies = (uint64_t)since;
	*has_blocked = true;
	return (uint64_t)since >= timeout_jiffies ? KHUNG_HUNG : KHUNG_NOT_YET;
}

uint64_t khung_initial_jiffies(unsigned hz)
{
	return (uint64_t)(uint32_t)(-300 * (int64_t)hz);
}

/* The candidate HZ tick_nsec stands for (within 1 %: NTP adjusts it by at most 500 ppm), 0 if none. */
static unsigned hz_of_tick(uint64_t tick_nsec, const unsigned *cand, unsigned n)
{
	for (unsigned i = 0; tick_nsec && i < n; i++) {
		uint64_t want = 1000000000ull / cand[i];
		if (tick_nsec * 100 >= want * 99 && tick_nsec * 100 <= want * 101)
			return cand[i];
	}
	return 0;
}

unsigned khung_infer_hz(uint64_t jiffies, double uptime_s, uint64_t tick_nsec)
{
	static const unsigned cand[] = { 100, 250, 300, 1000 };
	const unsigned ncand = sizeof(cand) / sizeof(cand[0]);
	if (!(uptime_s >= 0 && uptime_s < 1e12))	/* NAN, negative, absurd */
		return 0;
	double tol = 0.03 * uptime_s > 1.0 ? 0.03 * uptime_s : 1.0;
	unsigned fit[sizeof(cand) / sizeof(cand[0])], nfit = 0;
	for (unsigned i = 0; i < ncand; i++) {
		uint64_t elapsed = jiffies - khung_initial_jiffies(cand[i]);
		double s = (double)elapsed / cand[i];
		if (s - uptime_s <= tol && uptime_s - s <= tol)
			fit[nfit++] = cand[i];
	}
	if (nfit == 1)
		return fit[0];
	unsigned t = hz_of_tick(tick_nsec, cand, ncand);
	for (unsigned i = 0; t && i < nfit; i++)
		if (fit[i] == t)
			return t;
	return 0;
}
