package io.arenaalloc.bench.workload;

import java.util.SplittableRandom;

/**
 * Seeded, pre-generated operation streams shared by every workload, so that every subject sees
 * exactly the same sequence of slot indexes and block sizes.
 *
 * <p>Streams are {@link #SEQUENCE_LENGTH} entries long and are walked with a wrapping cursor
 * ({@code cursor++ & SEQUENCE_MASK}): the measured loop reads two ints and never calls a random
 * number generator. Sizes are log-uniform: {@code floor(exp(U(ln min, ln(max + 1))))}, so each
 * power-of-two size band gets about the same number of blocks.
 */
public final class WorkloadData
{
    /** Seed of every stream; a workload derives per-thread seeds as {@code SEED + threadIndex}. */
    public static final long SEED = 0x5EED_A110CL;

    /** Live blocks in the churn and latency working sets. */
    public static final int WORKING_SET = 8192;

    /** Entries per pre-generated stream (power of two). */
    public static final int SEQUENCE_LENGTH = 1 << 16;

    /** Mask for a wrapping cursor over a stream. */
    public static final int SEQUENCE_MASK = SEQUENCE_LENGTH - 1;

    /** Smallest block of every workload. */
    public static final int MIN_SIZE = 16;

    /** Largest block of {@code churn-small} and {@code handoff}. */
    public static final int SMALL_MAX_SIZE = 256;

    /** Largest block of {@code churn-mixed} and {@code latency}. */
    public static final int MIXED_MAX_SIZE = 16384;

    private static final long INDEX_STREAM = 0x1D3L;
    private static final long SIZE_STREAM = 0x512EL;
    private static final long PREFILL_STREAM = 0xF111L;

    private WorkloadData()
    {
    }

    /** @return {@code n} slot indexes uniform in {@code [0, bound)}. */
    public static int[] indexes(final long seed, final int n, final int bound)
    {
        final SplittableRandom random = new SplittableRandom(seed ^ INDEX_STREAM);
        final int[] result = new int[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = random.nextInt(bound);
        }
        return result;
    }

    /** @return {@code n} sizes log-uniform in {@code [min, max]} for the measured operations. */
    public static int[] sizes(final long seed, final int n, final int min, final int max)
    {
        return logUniform(seed ^ SIZE_STREAM, n, min, max);
    }

    /** @return {@code n} sizes log-uniform in {@code [min, max]} for filling the initial working set. */
    public static int[] prefillSizes(final long seed, final int n, final int min, final int max)
    {
        return logUniform(seed ^ PREFILL_STREAM, n, min, max);
    }

    static int[] logUniform(final long seed, final int n, final int min, final int max)
    {
        if (min < 8 || max < min)
        {
            throw new IllegalArgumentException("need 8 <= min <= max: min=" + min + " max=" + max);
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final double lnMin = Math.log(min);
        final double lnMax = Math.log(max + 1.0);
        final int[] result = new int[n];
        for (int i = 0; i < n; i++)
        {
            final int size = (int)Math.floor(Math.exp(lnMin + random.nextDouble() * (lnMax - lnMin)));
            result[i] = Math.max(min, Math.min(max, size));
        }
        return result;
    }

    /** @return largest block size of a churn workload. */
    public static int churnMaxSize(final String workload)
    {
        switch (workload)
        {
            case "churn-small":
                return SMALL_MAX_SIZE;
            case "churn-mixed":
                return MIXED_MAX_SIZE;
            default:
                throw new IllegalArgumentException("not a churn workload: '" + workload + "'");
        }
    }
}
