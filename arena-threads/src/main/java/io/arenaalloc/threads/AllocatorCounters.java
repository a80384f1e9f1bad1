package io.arenaalloc.threads;

import java.util.concurrent.atomic.LongAdder;

/**
 * Allocator-wide event counters, beside each arena's own {@code ArenaCounters} (which this module
 * also feeds: {@code remote-frees-queued} counts remote frees an owner took from its inbox,
 * {@code remote-frees-applied} those it freed).
 *
 * <h2>Threading</h2>
 * Rare events are counted in {@link LongAdder}s by any thread. Counters of hot paths are never a shared
 * word: {@link #REMOTE_FREES_BATCHED}, {@link #BATCHES_PUBLISHED} and {@link #BATCHES_OVERFLOWED} are kept
 * by each freer in plain fields (and the {@code FOREIGN_*} ones by its {@link ThreadBlockCache}), {@link #SINGLE_FREES} and {@link #STRIPE_REHASHES} by each arena's holder
 * beside its state word; they are summed at read time (and folded in when a thread ends or an arena
 * closes), so a reader sees them slightly stale and the counted paths allocate nothing and contend on
 * nothing.
 */
public final class AllocatorCounters
{
    public static final int THREADS_REGISTERED = 0;
    public static final int THREADS_ENDED = 1;
    public static final int ARENAS_CREATED = 2;
    public static final int ARENAS_ORPHANED = 3;
    public static final int ARENAS_ADOPTED = 4;
    public static final int ARENAS_CLOSED = 5;
    /** Remote frees written into batches. */
    public static final int REMOTE_FREES_BATCHED = 6;
    public static final int BATCHES_PUBLISHED = 7;
    /** Batches that found the batch queue full and went on the overflow stack. */
    public static final int BATCHES_OVERFLOWED = 8;
    /** Remote frees that came one by one through a ring (virtual threads, busy stripes), counted when drained. */
    public static final int SINGLE_FREES = 9;
    /** Single frees that found a per-thread arena's ring full (went on the overflow stack in a batch of one). */
    public static final int SINGLE_FREES_OVERFLOWED = 10;
    /** Frees that found a stripe busy and its ring full, and waited for the lock. */
    public static final int RING_FULL_LOCKED_FREES = 11;
    public static final int REMOTE_FREE_ERRORS = 12;
    public static final int REMOTE_FREES_DEFERRED = 13;
    public static final int STRIPE_REHASHES = 14;
    public static final int LIMIT_WAITS = 15;
    public static final int LIMIT_FAILURES = 16;
    public static final int MAINTENANCE_RUNS = 17;
    /**
     * Small fixed blocks kept in a {@link ThreadBlockCache}: frees kept by the freeing thread, and remote frees its
     * owner parked while draining its inbox before an allocation.
     */
    public static final int THREAD_CACHE_PARKED = 18;
    /** Allocations served from a thread's {@link ThreadBlockCache}. */
    public static final int THREAD_CACHE_REUSED = 19;
    /** Cached blocks given back to their arenas (idle maintenance, {@code flushThreadCache}, thread end). */
    public static final int THREAD_CACHE_SENT_HOME = 20;
    /**
     * Frees by threads without a context (STRIPED, virtual threads) that found every batch of their stripe's outbox in
     * flight and took the destination's ring (or lock) instead.
     */
    public static final int STRIPE_OUTBOX_FULL = 21;
    public static final int COUNT = 22;

    public static final String[] NAMES = {
        "threads-registered", "threads-ended", "arenas-created", "arenas-orphaned", "arenas-adopted", "arenas-closed",
        "remote-frees-batched", "batches-published", "batches-overflowed", "single-frees", "single-frees-overflowed",
        "ring-full-locked-frees", "remote-free-errors", "remote-frees-deferred", "stripe-rehashes", "limit-waits",
        "limit-failures", "maintenance-runs", "thread-cache-parked", "thread-cache-reused", "thread-cache-sent-home",
        "stripe-outbox-full"
    };

    private final LongAdder[] adders = new LongAdder[COUNT];
    private ArenaAllocator allocator;

    AllocatorCounters()
    {
        for (int i = 0; i < COUNT; i++)
        {
            adders[i] = new LongAdder();
        }
    }

    void attach(final ArenaAllocator allocator)
    {
        this.allocator = allocator;
    }

    void increment(final int id)
    {
        adders[id].increment();
    }

    void add(final int id, final long delta)
    {
        adders[id].add(delta);
    }

    /** Any thread: the counter's value now (slightly stale for the outbox-derived ones). */
    public long get(final int id)
    {
        if (id < 0 || id >= COUNT)
        {
            throw new IllegalArgumentException("id=" + id + ", expected 0.." + (COUNT - 1));
        }
        final long v = adders[id].sum();
        return allocator == null ? v : v + allocator.liveCounterSum(id);
    }

    public String toString()
    {
        final StringBuilder sb = new StringBuilder("AllocatorCounters{");
        for (int i = 0; i < COUNT; i++)
        {
            sb.append(i == 0 ? "" : ", ").append(NAMES[i]).append('=').append(get(i));
        }
        return sb.append('}').toString();
    }
}
