import io.arenaalloc.core.OffHeapArena;
import org.agrona.UnsafeApi;

/**
 * The churn workload of the bench's {@code churn-small}/{@code churn-mixed} (free a random one of 8192 live
 * blocks, allocate a log-uniform 16..max B replacement, write 8 bytes), loaded once per arena-core build by
 * {@link SameJvmAB}. Its state sits in fields and each operation is a call, as in the JMH benchmark: a loop
 * that keeps the arena in a register lets the JIT hoist field loads out of it and measures a faster
 * allocator than any application sees.
 */
public final class ChurnLoop
{
    private final OffHeapArena arena;
    private final long[] live = new long[8192];
    private final int[] slots = new int[1 << 16];
    private final int[] sizes = new int[1 << 16];
    private int cursor;

    public ChurnLoop(final int maxSize)
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        final double lnMin = Math.log(16);
        final double lnMax = Math.log(maxSize + 1.0);
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = random.nextInt(live.length);
            sizes[i] = (int)Math.floor(Math.exp(lnMin + random.nextDouble() * (lnMax - lnMin)));
        }
        arena = OffHeapArena.create();
        for (int i = 0; i < live.length; i++)
        {
            live[i] = arena.allocate(sizes[(i * 7) & (sizes.length - 1)]);
        }
    }

    private long op()
    {
        final int c = cursor++ & (slots.length - 1);
        final int slot = slots[c];
        arena.free(live[slot]);
        final long address = arena.allocate(sizes[c]);
        live[slot] = address;
        UnsafeApi.putLong(address, c);
        return address;
    }

    /** @return nanoseconds per free + allocate pair over {@code ops} pairs. */
    public double run(final int ops)
    {
        long sink = 0;
        final long start = System.nanoTime();
        for (int k = 0; k < ops; k++)
        {
            sink += op();
        }
        final long end = System.nanoTime();
        if (sink == 42)
        {
            System.out.print("");
        }
        return (end - start) / (double)ops;
    }
}
