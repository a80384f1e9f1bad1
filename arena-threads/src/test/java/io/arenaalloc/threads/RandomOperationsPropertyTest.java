package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Model-based: random sequences of allocations, local and remote frees (on a second platform thread),
 * pins, reallocations and maintenance, checked against a model of the live blocks after every step.
 */
class RandomOperationsPropertyTest
{
    private static final int ALLOCATE = 0;
    private static final int ALLOCATE_HANDLE = 1;
    private static final int FREE_LOCAL = 2;
    private static final int FREE_REMOTE = 3;
    private static final int PIN_CHECK = 4;
    private static final int REALLOCATE = 5;
    private static final int MAINTAIN = 6;
    private static final int OPS = 7;

    /** A live block in the model. */
    private static final class Live
    {
        long id;
        long size;
        final long seed;

        Live(final long id, final long size, final long seed)
        {
            this.id = id;
            this.size = size;
            this.seed = seed;
        }
    }

    @Provide
    Arbitrary<int[]> programs()
    {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).array(int[].class).ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 60)
    void shouldMatchTheModelAfterEveryOperation(@ForAll("programs") final int[] program, @ForAll final boolean striped)
        throws Exception
    {
        final ExecutorService remote = Executors.newSingleThreadExecutor();
        try (ArenaAllocator alloc = ArenaAllocator.builder()
            .policy(striped ? Policy.STRIPED : Policy.PER_THREAD)
            .stripes(2)
            .backgroundMaintenance(false)
            .livenessScanNanos(0)
            .remoteFreeBatchSize(4)
            .arenaConfig(ArenaConfig.builder().chunkSize(256 << 10).debug(true).debugValidateEveryLog2(4).build())
            .build())
        {
            final List<Live> live = new ArrayList<>();
            long removed = 0;
            for (int step = 0; step < program.length; step++)
            {
                final int word = program[step];
                final int op = word % OPS;
                final long size = 1 + (word >>> 3) % 20_000;
                final long seed = word * 0x9E3779B97F4A7C15L;
                if (live.isEmpty() || op == ALLOCATE || op == ALLOCATE_HANDLE)
                {
                    final long id = op == ALLOCATE_HANDLE ? alloc.allocateHandle(size) : alloc.allocate(size);
                    final Live b = new Live(id, size, seed);
                    write(alloc, b);
                    live.add(b);
                    continue;
                }
                final int index = (word >>> 5) % live.size();
                final Live b = live.get(index);
                switch (op)
                {
                    case FREE_LOCAL:
                        check(alloc, b, "step " + step);
                        alloc.free(b.id);
                        live.remove(index);
                        removed++;
                        break;
                    case FREE_REMOTE:
                        check(alloc, b, "step " + step);
                        remote.submit(() -> alloc.free(b.id)).get();
                        live.remove(index);
                        removed++;
                        break;
                    case PIN_CHECK:
                        check(alloc, b, "step " + step);
                        break;
                    case REALLOCATE:
                        check(alloc, b, "step " + step);
                        final long newSize = 1 + (word >>> 9) % 30_000;
                        b.id = alloc.reallocate(b.id, newSize);
                        b.size = Math.min(b.size, newSize);
                        check(alloc, b, "after reallocate at step " + step);
                        b.size = newSize;
                        write(alloc, b);
                        break;
                    case MAINTAIN:
                        alloc.maintain(100_000);
                        break;
                    default:
                        throw new AssertionError(op);
                }
            }
            for (final Live b : live)
            {
                check(alloc, b, "end");
            }
            remote.submit(() -> { }).get();
            alloc.maintain(0); // this thread is the only other user: every stripe lock is free, every inbox drains
            long liveBlocks = 0;
            for (final io.arenaalloc.core.OffHeapArena a : alloc.arenas())
            {
                liveBlocks += a.liveBlocks();
            }
            assertEquals(live.size(), liveBlocks, "model and allocator agree after " + removed + " frees");
            for (final Live b : live)
            {
                alloc.free(b.id);
            }
        }
        finally
        {
            remote.shutdownNow();
        }
    }

    private static void write(final ArenaAllocator alloc, final Live b)
    {
        if (b.id < 0)
        {
            Patterns.fill(alloc.pin(b.id), b.size, b.seed);
            alloc.unpin(b.id);
        }
        else
        {
            Patterns.fill(b.id, b.size, b.seed);
        }
    }

    private static void check(final ArenaAllocator alloc, final Live b, final String what)
    {
        if (b.id < 0)
        {
            Patterns.check(alloc.pin(b.id), b.size, b.seed, what);
            alloc.unpin(b.id);
        }
        else
        {
            Patterns.check(b.id, b.size, b.seed, what);
        }
    }
}
