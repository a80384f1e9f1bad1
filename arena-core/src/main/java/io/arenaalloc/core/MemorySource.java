package io.arenaalloc.core;

/**
 * Where an arena's chunks come from, and where they go back to.
 *
 * <p>Contract, in numbers:
 * <ul>
 *   <li>{@link #reserve(long)} returns a base address aligned to {@link #ALIGNMENT} (4096) bytes,
 *   for a region of at least the requested bytes (a multiple of 4096), or throws
 *   {@link OutOfMemoryError} when the source is exhausted. The contents are unspecified.</li>
 *   <li>{@link #release(long, long)} takes exactly an address and size that {@code reserve} returned.</li>
 *   <li>{@link #reservedBytes()} counts what is out: reserved and not yet released. After an arena's
 *   {@code close()} a source owned by that arena reports 0.</li>
 * </ul>
 * Sources are called on the arena owner's slow path only (a new or released chunk); they need not be
 * fast, and a source shared by several arenas must be thread safe (all implementations here are).
 */
public interface MemorySource
{
    /** Base alignment of every region a source returns. */
    long ALIGNMENT = 4096;

    /**
     * @param bytes a positive multiple of {@link #ALIGNMENT}.
     * @return the base address of a new region, aligned to {@link #ALIGNMENT}.
     */
    long reserve(long bytes);

    /** Returns a region obtained from {@link #reserve(long)}. */
    void release(long address, long bytes);

    /** @return bytes reserved and not released. */
    long reservedBytes();

    /** @return a short name for stats and messages, e.g. "native". */
    String name();
}
