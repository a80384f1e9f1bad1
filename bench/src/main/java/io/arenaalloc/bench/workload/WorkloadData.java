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

    /** Smallest block of {@code frag} and {@code compact}. */
    public static final int FRAG_MIN_SIZE = 64;

    /** Largest block of {@code frag} and {@code compact}. */
    public static final int FRAG_MAX_SIZE = 64 * 1024;

    /** Size of the blocks that refill the heap in {@code frag}'s last phase. */
    public static final int FRAG_REFILL_SIZE = 1024 * 1024;

    /** Live blocks of the {@code access} working set. */
    public static final int ACCESS_BLOCKS = 8192;

    /** Size of each block of the {@code access} working set. */
    public static final int ACCESS_BLOCK_SIZE = 64;

    private static final long INDEX_STREAM = 0x1D3L;
    private static final long SIZE_STREAM = 0x512EL;
    private static final long PREFILL_STREAM = 0xF111L;
    private static final long FILL_STREAM = 0xF1A6L;
    private static final long PERMUTATION_STREAM = 0x9E3L;

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

    /**
     * Sizes log-uniform in {@code [min, max]}, as many as it takes for their sum to reach
     * {@code totalBytes} (the last one included): the blocks that fill a heap to a live target.
     */
    public static int[] fillSizes(final long seed, final int min, final int max, final long totalBytes)
    {
        final double mean = (max + 1.0 - min) / Math.log((max + 1.0) / min);
        int[] sizes = logUniform(seed ^ FILL_STREAM, (int)Math.min(Integer.MAX_VALUE - 8, totalBytes / mean * 1.25 + 64),
            min, max);
        long sum = 0;
        for (int i = 0; i < sizes.length; i++)
        {
            sum += sizes[i];
            if (sum >= totalBytes)
            {
                return java.util.Arrays.copyOf(sizes, i + 1);
            }
        }
        // unlucky stream: the 25% margin was not enough; take a longer one (same prefix)
        sizes = logUniform(seed ^ FILL_STREAM, sizes.length * 2, min, max);
        sum = 0;
        for (int i = 0; i < sizes.length; i++)
        {
            sum += sizes[i];
            if (sum >= totalBytes)
            {
                return java.util.Arrays.copyOf(sizes, i + 1);
            }
        }
        throw new IllegalStateException("no fill of " + totalBytes + " bytes from " + sizes.length + " blocks");
    }

    /** @return a seeded random permutation of {@code [0, n)} (Fisher-Yates). */
    public static int[] permutation(final long seed, final int n)
    {
        final int[] result = new int[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = i;
        }
        shuffle(new SplittableRandom(seed ^ PERMUTATION_STREAM), result);
        return result;
    }

    /** Shuffle {@code values} in place (Fisher-Yates); allocates nothing. */
    public static void shuffle(final SplittableRandom random, final int[] values)
    {
        for (int i = values.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
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
