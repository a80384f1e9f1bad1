package io.arenaalloc.bench.subject;

/**
 * One allocator under test, seen through a table of numbered <em>slots</em>.
 *
 * <p>A slot holds at most one live block. {@link #allocate(int, int)} puts a new block into an empty
 * slot and returns its native address; {@link #free(int)} frees the block in a slot. Keeping the
 * per-block bookkeeping (a {@code long} address, or a {@code ByteBuf} reference for Netty) inside the
 * subject lets every allocator run the very same harness code without any per-operation garbage
 * beyond what the allocator itself creates.
 *
 * <p>Threading: the slot table itself is not synchronised. A slot may be allocated by one thread and
 * freed by another only when the harness passes the slot between them with a happens-before edge
 * (a JCTools queue, an atomic exchange). Whether the allocator tolerates a free from another thread
 * is the allocator's business; the single-owner {@code arena} subject must only be used from one
 * thread. Every thread that touches a subject calls {@link #attachThread()} first.
 *
 * <p>Contract for every implementation: no assertions, checks or logging on the hot path beyond what
 * the allocator does itself; {@link #close()} frees every live block and then releases the allocator.
 */
public interface Subject extends AutoCloseable
{
    /** @return the contract name of this subject, e.g. {@code "netty-pooled"}. */
    String name();

    /** @return number of slots this subject was created with. */
    int slots();

    /**
     * Allocate {@code size} bytes into an empty slot.
     *
     * @param slot index in {@code [0, slots())}, must be empty.
     * @param size bytes, at least 8.
     * @return the native address of the first byte of the block.
     */
    long allocate(int slot, int size);

    /**
     * Free the block in a slot and mark the slot empty.
     *
     * @param slot index of a slot that holds a block.
     */
    void free(int slot);

    /** @return true when the slot holds a block. */
    boolean isLive(int slot);

    /** Prepare the calling thread (rpmalloc needs a per-thread heap); idempotent; cheap no-op elsewhere. */
    default void attachThread()
    {
    }

    /**
     * The native memory this allocator itself says it holds (its committed or resident bytes, for the
     * {@code frag} workload), or -1 when it cannot tell; the workload then reads the process's resident
     * set instead ({@link #footprintSource()} says which).
     */
    default long footprintBytes()
    {
        return -1;
    }

    /** @return where {@link #footprintBytes()} comes from, for the report's notes. */
    default String footprintSource()
    {
        return "VmRSS delta";
    }

    /**
     * Idle-time maintenance that this allocator offers an application between bursts of work (the
     * {@code frag} workload's idle phase): compaction, cache trimming, purging. Default: nothing.
     *
     * @param budgetNanos wall-clock bound for the maintenance.
     */
    default void idle(final long budgetNanos)
    {
    }

    /** Free every live block, then release the allocator. Idempotent. */
    @Override
    void close();
}
