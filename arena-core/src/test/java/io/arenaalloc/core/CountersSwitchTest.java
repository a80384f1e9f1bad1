package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code -Darena.counters=on|off} ({@link ArenaCounters#ENABLED}): the parse, and two child JVMs that run the same
 * arena program with the counters on and off. Off, every counter reads 0 while the arena behaves exactly the same
 * (same blocks, same footprint after compaction at the limit and after {@code compactFully}, which decide with the
 * arena's plain fields, not with the counters).
 */
class CountersSwitchTest
{
    @Test
    void parsesOnOffAndAbsentAndRefusesAnythingElse()
    {
        assertThat(ArenaCounters.parseEnabled(null)).isTrue();
        assertThat(ArenaCounters.parseEnabled("on")).isTrue();
        assertThat(ArenaCounters.parseEnabled("off")).isFalse();
        for (final String bad : new String[] {"", "OFF", "false", "0", " off"})
        {
            assertThatThrownBy(() -> ArenaCounters.parseEnabled(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("-Darena.counters=" + bad + ", expected on (the default) or off");
        }
    }

    @Test
    void countersAreOnByDefault()
    {
        assertThat(ArenaCounters.ENABLED).isTrue();
        try (OffHeapArena arena = OffHeapArena.create())
        {
            arena.free(arena.allocate(100));
            assertThat(arena.counters().getOpaque(ArenaCounters.ALLOCATIONS)).isEqualTo(1);
            assertThat(arena.counters().getOpaque(ArenaCounters.FREES)).isEqualTo(1);
        }
    }

    /** Entry point of the child JVM: prints the arena's behaviour, then its counters. */
    public static final class Child
    {
        public static void main(final String[] args)
        {
            final long chunk = ArenaConfig.MIN_CHUNK_SIZE;
            // compaction at the limit gets a second (compactOnFailureNanos) in 1 ms steps, so a cold JVM finishes it
            // in both modes and the behaviour compared below does not depend on timing
            try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(chunk).maxTotalBytes(8 * chunk)
                .spareChunks(0).compactStepNanos(1_000_000).compactOnFailureNanos(1_000_000_000L).build()))
            {
                // fill the movable heap to the limit, free three handles in four: sparse movable chunks
                final List<Long> handles = new ArrayList<>();
                try
                {
                    while (true)
                    {
                        handles.add(arena.allocateHandle(5000));
                    }
                }
                catch (final ArenaLimitExceededException expected)
                {
                    // the limit
                }
                for (int i = 0; i < handles.size(); i++)
                {
                    if ((i & 3) != 0)
                    {
                        arena.free(handles.get(i));
                    }
                }
                final long committedSparse = arena.committedBytes();
                // fixed blocks now fit only after compaction at the limit gives movable chunks back
                int fixed = 0;
                try
                {
                    while (fixed < 10_000)
                    {
                        arena.allocate(6000);
                        fixed++;
                    }
                }
                catch (final ArenaLimitExceededException expected)
                {
                    // the limit again
                }
                System.out.println("handles=" + handles.size() + " committedSparse=" + committedSparse + " fixed=" + fixed +
                    " liveBlocks=" + arena.liveBlocks() + " liveBytes=" + arena.liveBytes() + " committed=" +
                    arena.committedBytes() + " allocationCount=" + arena.allocationCount());
                for (int i = 0; i < handles.size(); i += 4)
                {
                    arena.free(handles.get(i));
                    if (i % 8 == 0 && i + 4 < handles.size())
                    {
                        handles.set(i + 4, arena.allocateHandle(5000));
                    }
                }
                final long moved = arena.compactFully(5_000_000_000L);
                System.out.println("compactFully moved something=" + (moved > 0) + " committed=" + arena.committedBytes() +
                    " worthIt=" + arena.compactionWorthIt(Long.MAX_VALUE));
                final long[] values = new long[ArenaCounters.COUNT];
                arena.counters().copyTo(values);
                long sum = 0;
                for (final long v : values)
                {
                    sum += v;
                }
                System.out.println("ENABLED=" + ArenaCounters.ENABLED + " counterSum=" + sum);
            }
            catch (final Throwable t)
            {
                Throwable cause = t;
                while (cause.getCause() != null)
                {
                    cause = cause.getCause();
                }
                System.out.println("FAILED: " + cause);
            }
        }
    }

    private static String runChild(final String countersFlag) throws Exception
    {
        final String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        final Process p = new ProcessBuilder(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            countersFlag, "-cp", System.getProperty("java.class.path"), Child.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void offStoresNothingAndTheArenaBehavesTheSame() throws Exception
    {
        final String on = runChild("-Darena.counters=on");
        final String off = runChild("-Darena.counters=off");
        assertThat(on).doesNotContain("FAILED").contains("ENABLED=true").doesNotContain("counterSum=0\n");
        assertThat(off).doesNotContain("FAILED").contains("ENABLED=false", "counterSum=0");
        final String[] onLines = on.split("\n");
        final String[] offLines = off.split("\n");
        assertThat(offLines).hasSize(3);
        assertThat(onLines).hasSize(3);
        // the same blocks, the same compaction at the limit (fixed > 0 needs released movable chunks) and after it
        assertThat(offLines[0]).isEqualTo(onLines[0]).doesNotContain(" fixed=0 ");
        assertThat(offLines[1]).isEqualTo(onLines[1]).contains("moved something=true", "worthIt=false");
    }

    @Test
    void aBadValueFailsClassInitialisationNamingThePropertyAndTheValue() throws Exception
    {
        assertThat(runChild("-Darena.counters=maybe"))
            .contains("FAILED: java.lang.IllegalArgumentException: -Darena.counters=maybe, expected on (the default) or off");
    }
}
