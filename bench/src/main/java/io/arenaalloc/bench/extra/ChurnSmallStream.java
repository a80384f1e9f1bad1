package io.arenaalloc.bench.extra;

import io.arenaalloc.bench.workload.WorkloadData;

/**
 * The {@code churn-small} stream of the contract suite's {@code ChurnBenchmark}, for the cost benchmarks of this
 * package: the same seed, the same {@link WorkloadData#WORKING_SET} (8192) slots, the same log-uniform 16-256 B
 * sizes and the same prefill, so their figures compare with the suite's {@code churn-small} row.
 *
 * <pre>
 *   slots[k]    slot freed and refilled by op k (k = cursor &amp; SEQUENCE_MASK, 65536 ops, then it repeats)
 *   sizes[k]    size of op k's new block
 *   prefill[i]  size of slot i's block before the first op
 * </pre>
 *
 * @param slots   {@link WorkloadData#SEQUENCE_LENGTH} slot indexes in {@code [0, WORKING_SET)}.
 * @param sizes   {@link WorkloadData#SEQUENCE_LENGTH} sizes.
 * @param prefill {@link WorkloadData#WORKING_SET} sizes.
 */
record ChurnSmallStream(int[] slots, int[] sizes, int[] prefill)
{
    /** The contract's workload name. */
    static final String WORKLOAD = "churn-small";

    /** @return the stream, generated afresh (a few hundred KiB of ints). */
    static ChurnSmallStream create()
    {
        final int maxSize = WorkloadData.churnMaxSize(WORKLOAD);
        return new ChurnSmallStream(
            WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.WORKING_SET),
            WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE, maxSize),
            WorkloadData.prefillSizes(WorkloadData.SEED, WorkloadData.WORKING_SET, WorkloadData.MIN_SIZE, maxSize));
    }
}
