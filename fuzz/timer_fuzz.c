/*
 * timer_fuzz.c: libFuzzer harness for timer.c, against a naive model.
 *
 * The input is a list of operations, three bytes each, on NTIMERS
 * timers: set one, or set it by a time (at a deadline that may be past,
 * often equal to another's), clear one, run what is due at a clock that
 * only goes forward, or give one a thing to do when it runs (set itself
 * again, set or clear another).  The model is an array searched in full.
 * After every operation the two must agree on which timers are pending
 * and when, and on the earliest deadline; inside a run, each function
 * must be the one the model says is next (earliest deadline, earliest
 * set, set before the run began), with the timer no longer pending;
 * after a run, nothing due by its clock that was set before it may be
 * left.  The tree itself is checked too (timer.c is included for its
 * statics): in order, parent links right, no red node with a red child,
 * every path as black.  Any difference aborts, which libFuzzer reports
 * as a crash.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../timer.c"

#define NTIMERS	16

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum act {
	ACT_NONE,
	ACT_SELF,	/* set itself again at now + d */
	ACT_CLEAR,	/* clear timer j */
	ACT_OTHER,	/* set timer j at now + d */
};

static struct model {
	int		 pending;
	double		 at;
	uint64_t	 seq;
	enum act	 act;
	int		 j;
	double		 d;
} m[NTIMERS];

static struct timer	 t[NTIMERS];
static uint64_t		 mseq;		/* the model's timer_seq */
static uint64_t		 mlast;		/* set before the run began */
static double		 mnow;		/* the clock of the run */
static int		 running;

static void
model_set(int i, double at)
{
	m[i].pending = 1;
	m[i].at = at;
	m[i].seq = ++mseq;
}

/* The model's next due timer in a run, or -1. */
static int
model_next_due(double now, uint64_t last)
{
	int	 i, best = -1;

	for (i = 0; i < NTIMERS; i++) {
		if (!m[i].pending || m[i].at > now || m[i].seq > last)
			continue;
		if (best == -1 || m[i].at < m[best].at ||
		    (m[i].at == m[best].at && m[i].seq < m[best].seq))
			best = i;
	}
	return best;
}

/* Black height of the subtree at n, checking it on the way. */
static int
check_node(struct timer *n, struct timer *parent, int *count)
{
	struct timer	*l, *r;
	int		 hl, hr;

	if (n == NULL)
		return 1;
	if (RB_PARENT(n, tm_entry) != parent)
		abort();
	l = RB_LEFT(n, tm_entry);
	r = RB_RIGHT(n, tm_entry);
	if (RB_COLOR(n, tm_entry) == RB_RED && ((l != NULL &&
	    RB_COLOR(l, tm_entry) == RB_RED) || (r != NULL &&
	    RB_COLOR(r, tm_entry) == RB_RED)))
		abort();
	if ((l != NULL && timer_cmp(l, n) >= 0) ||
	    (r != NULL && timer_cmp(r, n) <= 0))
		abort();
	if (n < t || n >= t + NTIMERS || n->tm_seq == 0)
		abort();	/* not one of ours, or not pending */
	(*count)++;
	hl = check_node(l, n, count);
	hr = check_node(r, n, count);
	if (hl != hr)
		abort();
	return hl + (RB_COLOR(n, tm_entry) == RB_BLACK);
}

/* The tree and the model agree, whole. */
static void
check(void)
{
	struct timer	*prev = NULL, *n;
	double		 min = -1;
	int		 i, count = 0, npending = 0;

	if (timer_seq != mseq)
		abort();
	(void)check_node(RB_ROOT(&timers), NULL, &count);
	RB_FOREACH(n, timertree, &timers) {
		if (prev != NULL && timer_cmp(prev, n) >= 0)
			abort();
		prev = n;
	}
	for (i = 0; i < NTIMERS; i++) {
		if (timer_pending(&t[i]) != m[i].pending)
			abort();
		if (!m[i].pending)
			continue;
		npending++;
		if (t[i].tm_at != m[i].at || t[i].tm_seq != m[i].seq)
			abort();
		if (min == -1 || m[i].at < min)
			min = m[i].at;
	}
	if (count != npending || timer_next() != min)
		abort();
}

/* A timer's function: is it the one due, and do what it was given. */
static void
fire(struct timer *tm, double now)
{
	int	 i = (int)(tm - t), want;

	if (!running || now != mnow || tm->tm_arg != &m[i] ||
	    timer_pending(tm))
		abort();
	want = model_next_due(now, mlast);
	if (want != i)
		abort();
	m[i].pending = 0;
	switch (m[i].act) {
	case ACT_NONE:
		break;
	case ACT_SELF:
		timer_set(tm, now + m[i].d);
		model_set(i, now + m[i].d);
		break;
	case ACT_CLEAR:
		timer_clear(&t[m[i].j]);
		m[m[i].j].pending = 0;
		break;
	case ACT_OTHER:
		timer_set(&t[m[i].j], now + m[i].d);
		model_set(m[i].j, now + m[i].d);
		break;
	}
	check();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double	 now = 1000.0, at;
	size_t	 k;
	int	 i;

	/* a fresh tree each input: every timer off it, as a run leaves it */
	for (i = 0; i < NTIMERS; i++)
		timer_clear(&t[i]);
	memset(t, 0, sizeof(t));
	memset(m, 0, sizeof(m));
	RB_INIT(&timers);
	mseq = timer_seq;
	for (i = 0; i < NTIMERS; i++)
		timer_init(&t[i], fire, &m[i]);
	check();
	for (k = 0; k + 3 <= size; k += 3) {
		uint8_t	 b0 = data[k], b1 = data[k + 1], b2 = data[k + 2];

		i = (b0 >> 2) % NTIMERS;
		switch (b0 & 3) {
		case 0:
			/* quarters: exact, and often equal */
			at = now + ((b1 % 32) - 8) * 0.25;
			if (b2 & 1) {
				timer_set_by(&t[i], at);
				if (!m[i].pending || at < m[i].at)
					model_set(i, at);
			} else {
				timer_set(&t[i], at);
				model_set(i, at);
			}
			break;
		case 1:
			timer_clear(&t[i]);
			m[i].pending = 0;
			break;
		case 2:
			now += (b1 % 8) * 0.25;
			mnow = now;
			mlast = mseq;
			running = 1;
			timer_run(now);
			running = 0;
			if (model_next_due(now, mlast) != -1)
				abort();
			break;
		case 3:
			m[i].act = (enum act)(b1 % 4);
			m[i].j = b2 % NTIMERS;
			m[i].d = ((b1 / 4) % 16 - 4) * 0.25;
			break;
		}
		check();
	}
	return 0;
}
