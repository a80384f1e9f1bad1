package io.arenaalloc.stats;

import java.util.Map;

/**
 * JMX view of one arena, or of the total over a registry, registered by {@link ArenaStatsJmx}.
 *
 * <h2>ObjectNames</h2>
 * <pre>
 *   io.arenaalloc:type=ArenaStats,arena=&lt;arena id&gt;     one arena   ({@link ArenaStatsJmx#objectName(int)})
 *   io.arenaalloc:type=ArenaStats,arena=total           a registry's total ({@link ArenaStatsJmx#TOTAL_OBJECT_NAME})
 * </pre>
 *
 * <h2>Vocabulary</h2>
 * Attributes are the figures of {@link ArenaFigures} by their snapshot accessor names ({@code getLiveBytes} is
 * figure {@code live-bytes}), plus {@code Figures} (all of them as a table) and {@code Summary} (one line).
 *
 * <h2>How a getter answers</h2>
 * <ol>
 *   <li>Take one snapshot from the source (any thread, a few hundred nanoseconds).</li>
 *   <li>Return the figure, converted to the unit below.</li>
 * </ol>
 *
 * <h2>Semantics</h2>
 * Every getter takes a fresh snapshot ({@link ArenaStatsPublisher#snapshot()}, any thread): counters are current
 * (slightly stale), owner figures are as of the arena's last publish ({@link #getPublishedAtMillis()}). Two getters
 * read in one JMX request may see different moments; {@link #getFigures()} returns every figure of one moment.
 * Units: bytes, counts, nanoseconds; fragmentation as a fraction 0..1.
 */
public interface ArenaStatsMXBean
{
    String getName();

    /** @return the arena id, or -1 for a total. */
    int getArenaId();

    int getArenaCount();

    long getAllocations();

    long getFrees();

    long getLocalFrees();

    long getRemoteFreesQueued();

    long getRemoteFreesApplied();

    long getRemoteFreesPending();

    long getReallocations();

    long getLiveBlocks();

    long getLiveHandles();

    long getLiveBytes();

    long getRequestedBytes();

    long getCommittedBytes();

    long getCommittedHighWater();

    long getLiveBytesHighWater();

    long getChunks();

    long getHugeChunks();

    long getEmptyChunks();

    long getChunksAcquired();

    long getChunksReleased();

    double getFragmentation();

    long getLargestFreeRun();

    long getPinnedBlocks();

    long getCompactSteps();

    long getCompactNanos();

    long getBlocksMoved();

    long getBytesMoved();

    long getMovesSkippedPinned();

    long getReleaseBlocked();

    long getLimitFailures();

    /** @return allocations for this arena that waited at a limit (an {@code ArenaAllocator}'s back-pressure). */
    long getLimitWaits();

    long getPublishedAtMillis();

    /** @return every figure by its {@link ArenaFigures} name, from one snapshot. */
    Map<String, Long> getFigures();

    /** @return the reporter's summary line ({@link ArenaStatsReporter#formatLine}). */
    String getSummary();
}
