/* log_time.c - the time stamps of VMware and kernel logs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log_parse.h"

static int digits(struct lspan s, size_t at, size_t n, int *v)
{
	if (at + n > s.n)
		return 0;
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s.p[at + i]))
			return 0;
		x = x * 10 + (s.p[at + i] - '0');
	}
	*v = x;
	return 1;
}

/* ".fff" at s[*at]: milliseconds, advancing *at past all fraction digits. */
static int fraction_ms(struct lspan s, size_t *at)
{
	if (*at >= s.n || s.p[*at] != '.')
		return 0;
	int ms = 0, k = 0;
	for ((*at)++; *at < s.n && isdigit((unsigned char)s.p[*at]); (*at)++, k++)
		if (k < 3)
			ms = ms * 10 + (s.p[*at] - '0');
	for (; k < 3; k++)
		ms *= 10;
	return ms;
}

static int64_t epoch_ms(int y, int mo, int d, int h, int mi, int sec, int ms)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = sec };
	return (int64_t)timegm(&tm) * 1000 + ms;
}

int log_time_iso(struct lspan s, int64_t *ms, int *zoned)
{
	int y, mo, d, h, mi, sec;
	if (!digits(s, 0, 4, &y) || s.n < 19 || s.p[4] != '-' || !digits(s, 5, 2, &mo) || s.p[7] != '-' ||
	    !digits(s, 8, 2, &d) || s.p[10] != 'T' || !digits(s, 11, 2, &h) || s.p[13] != ':' ||
	    !digits(s, 14, 2, &mi) || s.p[16] != ':' || !digits(s, 17, 2, &sec))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	size_t at = 19;
	int frac = fraction_ms(s, &at);
	int64_t t = epoch_ms(y, mo, d, h, mi, sec, frac);
	*zoned = 0;
	if (at < s.n && s.p[at] == 'Z') {
		*zoned = 1;
	} else if (at < s.n && (s.p[at] == '+' || s.p[at] == '-')) {
		int zh, zm = 0;
		if (digits(s, at + 1, 2, &zh)) {
			if (!digits(s, at + 3, 2, &zm) && at + 3 < s.n && s.p[at + 3] == ':')
				digits(s, at + 4, 2, &zm);
		}
		if (digits(s, at + 1, 2, &zh) && zh < 24 && zm < 60) {
			*zoned = 1;
			int64_t off = ((int64_t)zh * 60 + zm) * 60000;
			t -= s.p[at] == '+' ? off : -off;
		}
	}
	*ms = t;
	return 1;
}

static int month_of(struct lspan s)
{
	static const char *const m[] = { "jan", "feb", "mar", "apr", "may", "jun",
					 "jul", "aug", "sep", "oct", "nov", "dec" };
	if (s.n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (tolower((unsigned char)s.p[0]) == m[i][0] && tolower((unsigned char)s.p[1]) == m[i][1] &&
		    tolower((unsigned char)s.p[2]) == m[i][2])
			return i + 1;
	return 0;
}

int log_time_local(struct lspan s, int64_t *ms)
{
	/* optional weekday "Thu " */
	if (s.n > 4 && isalpha((unsigned char)s.p[0]) && s.p[3] == ' ' && month_of(ls_skip(s, 4)))
		s = ls_skip(s, 4);
	/* a year-less date is placed in 2000, a leap year, so that Feb 29 stays itself */
	int mo = month_of(s), d, h, mi, sec, y = LOG_NO_YEAR;
	if (!mo || s.n < 15 || s.p[3] != ' ')
		return 0;
	size_t at = 4;
	while (at < s.n && s.p[at] == ' ')
		at++;
	if (digits(s, at, 2, &d))
		at += 2;
	else if (digits(s, at, 1, &d))
		at += 1;
	else
		return 0;
	if (at >= s.n || s.p[at] != ' ' || !digits(s, at + 1, 2, &h) || s.p[at + 3] != ':' ||
	    !digits(s, at + 4, 2, &mi) || s.p[at + 6] != ':' || !digits(s, at + 7, 2, &sec))
		return 0;
	at += 9;
	int frac = fraction_ms(s, &at);
	int yy;
	if (at + 5 <= s.n && s.p[at] == ' ' && digits(s, at + 1, 4, &yy))
		y = yy;
	*ms = epoch_ms(y, mo, d, h, mi, sec, frac);
	return y == LOG_NO_YEAR ? 1 : 2;
}

int log_time_dhms(struct lspan s, double *secs)
{
	long long v[4];
	size_t at = 0, used;
	for (int i = 0; i < 4; i++) {
		v[i] = ls_num(ls_skip(s, at), &used);
		if (v[i] < 0)
			return 0;
		at += used;
		if (i < 3) {
			if (at >= s.n || s.p[at] != ':')
				return 0;
			at++;
		}
	}
	size_t f = at;
	int ms = fraction_ms(s, &f);
	*secs = (double)(((v[0] * 24 + v[1]) * 60 + v[2]) * 60 + v[3]) + ms / 1000.0;
	return 1;
}

void log_time_utc_string(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		out[0] = 0;
		return;
	}
	if (tm.tm_year < -1900 || tm.tm_year > 8099) {
		out[0] = 0;
		return;
	}
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
		 (int)(ms - (int64_t)t * 1000) % 1000);
}

int64_t log_time_near(int64_t yearless_ms, int64_t anchor_ms)
{
	time_t t = (time_t)(yearless_ms >= 0 ? yearless_ms / 1000 : (yearless_ms - 999) / 1000);
	time_t a = (time_t)(anchor_ms >= 0 ? anchor_ms / 1000 : (anchor_ms - 999) / 1000);
	int64_t frac = yearless_ms - (int64_t)t * 1000, best = yearless_ms;
	struct tm tm, at;
	if (!gmtime_r(&t, &tm) || !gmtime_r(&a, &at))
		return yearless_ms;
	uint64_t dist = UINT64_MAX;
	for (int y = at.tm_year - 1; y <= at.tm_year + 1; y++) {
		struct tm c = tm;
		c.tm_year = y;
		int64_t v = (int64_t)timegm(&c) * 1000 + frac;
		uint64_t d = v > anchor_ms ? (uint64_t)(v - anchor_ms) : (uint64_t)(anchor_ms - v);
		if (d < dist) {
			dist = d;
			best = v;
		}
	}
	return best;
}

/* A dated line (its year known): the anchor for the year-less lines around it. */
static void year_anchor(struct log_file *f, int64_t ms)
{
	f->year_anchor_ms = ms;
	f->year_anchor_ok = true;
	if (!f->first_year_ok) {
		f->first_year_ms = ms;
		f->first_year_ok = true;
	}
}

void log_years_finish(struct log_file *f)
{
	/* year-less times before the file's first dated line: from it backwards */
	int64_t anchor = f->first_year_ms;
	for (size_t i = f->n; i > 0; i--) {
		struct log_event *e = &f->ev[i - 1];
		if (e->key_kind != LOG_KEY_YEARLESS)
			continue;
		if (f->first_year_ok) {
			e->key_ms = anchor = log_time_near(e->key_ms, anchor);
			e->key_kind = LOG_KEY_LOCAL;
		} else {
			e->key_ms = 0;	/* no year anywhere: file order */
		}
	}
}

void log_ctx_time(struct log_ctx *c, struct lspan t, enum log_time_form form)
{
	c->time = t;
	c->time_utc[0] = 0;
	int64_t ms;
	int zoned;
	double secs;
	switch (form) {
	case LOG_T_ISO:
		if (log_time_iso(t, &ms, &zoned)) {
			if (zoned) {
				log_time_utc_string(ms, c->time_utc);
				c->key_kind = LOG_KEY_UTC;
			} else {
				c->key_kind = LOG_KEY_LOCAL;
			}
			c->key_ms = ms;
			year_anchor(c->f, ms);
		}
		break;
	case LOG_T_LOCAL:
		switch (log_time_local(t, &ms)) {
		case 2:
			c->key_kind = LOG_KEY_LOCAL;
			c->key_ms = ms;
			year_anchor(c->f, ms);
			break;
		case 1:
			/* year-less: the year of the dated (or year-resolved) line before it, nearest in time */
			if (c->f->year_anchor_ok) {
				c->key_kind = LOG_KEY_LOCAL;
				c->key_ms = c->f->year_anchor_ms = log_time_near(ms, c->f->year_anchor_ms);
			} else {
				c->key_kind = LOG_KEY_YEARLESS;
				c->key_ms = ms;
			}
			break;
		}
		break;
	case LOG_T_DHMS:
		if (log_time_dhms(t, &secs)) {
			c->uptime_s = secs;
			c->key_kind = LOG_KEY_UPTIME;
			c->key_ms = (int64_t)(secs * 1000);
		}
		break;
	case LOG_T_SECONDS: {
		char buf[32];
		size_t n = t.n < sizeof(buf) - 1 ? t.n : sizeof(buf) - 1;
		memcpy(buf, t.p, n);
		buf[n] = 0;
		char *end;
		secs = strtod(buf, &end);
		if (end != buf) {
			c->uptime_s = secs;
			c->key_kind = LOG_KEY_UPTIME;
			c->key_ms = (int64_t)(secs * 1000);
		}
		break;
	}
	}
}
