package io.arenaalloc.stats;

import java.util.Map;

/**
 * JMX view of one {@code ArenaAllocator}, registered by {@link ArenaStatsJmx#register(AllocatorStatsPublisher)}.
 *
 * <h2>ObjectName</h2>
 * <pre>
 *   io.arenaalloc:type=AllocatorStats,name=&lt;allocator name&gt;   ({@link ArenaStatsJmx#allocatorObjectName(String)};
 *                                                             the name is quoted when it holds , = : " * ? or \)
 * </pre>
 *
 * <h2>Vocabulary</h2>
 * Attributes are the allocator figures of {@link AllocatorFigures} by their {@link AllocatorSnapshot} accessor names
 * ({@code getLimitWaits} is figure {@code limit-waits}), plus {@code Figures} (all of them as a table),
 * {@code ArenaTotalFigures} (every {@link ArenaFigures} figure totalled over the allocator's open arenas: allocations,
 * frees local and remote, bytes, high-water marks, ...), and {@code Summary} (one line).
 *
 * <h2>How a getter answers</h2>
 * <ol>
 *   <li>Take one snapshot from the {@link AllocatorStatsPublisher} (any thread; it refreshes the tracked arenas).</li>
 *   <li>Return the figure; units are counts and bytes.</li>
 * </ol>
 * Two getters read in one JMX request may see different moments; {@link #getFigures()} and
 * {@link #getArenaTotalFigures()} each return figures of one snapshot.
 */
public interface AllocatorStatsMXBean
{
    String getName();

    long getArenasOpen();

    long getThreadsRegistered();

    long getThreadsEnded();

    long getArenasCreated();

    long getArenasOrphaned();

    long getArenasAdopted();

    long getArenasClosed();

    long getRemoteFreesBatched();

    long getBatchesPublished();

    long getBatchesOverflowed();

    long getSingleFrees();

    long getSingleFreesOverflowed();

    long getRingFullLockedFrees();

    long getRemoteFreeErrors();

    long getRemoteFreesDeferred();

    long getStripeRehashes();

    long getLimitWaits();

    long getLimitFailures();

    long getMaintenanceRuns();

    long getBudgetCommittedBytes();

    /** @return the global limit in bytes; {@link Long#MAX_VALUE} when there is none. */
    long getBudgetLimitBytes();

    /** @return every allocator figure by its {@link AllocatorFigures} name, from one snapshot. */
    Map<String, Long> getFigures();

    /** @return every arena figure by its {@link ArenaFigures} name, totalled over the allocator's open arenas. */
    Map<String, Long> getArenaTotalFigures();

    /** @return the reporter's allocator line ({@link ArenaStatsReporter#formatAllocatorLine}). */
    String getSummary();
}
