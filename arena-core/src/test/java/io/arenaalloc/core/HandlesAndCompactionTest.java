package io.arenaalloc.core;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HandlesAndCompactionTest
{
    private static ArenaConfig.Builder config(final NativeMemorySource source)
    {
        return ArenaConfig.builder().chunkSize(1 << 20).memorySource(source).spareChunks(0);
    }

    /** Fills the movable heap with interleaved blocks, then frees most of them: a sparse heap. */
    private static List<long[]> sparseHeap(final OffHeapArena arena, final int count, final SplittableRandom rnd,
        final int keepOneIn)
    {
        final List<long[]> all = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final long size = rnd.nextInt(10) < 7 ? 16 + rnd.nextInt(2000) : 4097 + rnd.nextInt(60_000);
            final long h = arena.allocateHandle(size);
            Patterns.fill(arena.resolve(h), size, i);
            all.add(new long[] {h, size, i});
        }
        final List<long[]> kept = new ArrayList<>();
        for (final long[] b : all)
        {
            if (rnd.nextInt(keepOneIn) == 0)
            {
                kept.add(b);
            }
            else
            {
                arena.free(b[0]);
            }
        }
        return kept;
    }

    /** 8 KiB handles, pattern-filled, until the arena's 8 MiB limit refuses one. @return {handle, size, seed} each. */
    private static List<long[]> fillToTheLimit(final OffHeapArena arena)
    {
        final List<long[]> all = new ArrayList<>();
        try
        {
            for (int i = 0; ; i++)
            {
                final long h = arena.allocateHandle(8192);
                Patterns.fill(arena.resolve(h), 8192, i);
                all.add(new long[] {h, 8192, i});
            }
        }
        catch (final ArenaLimitExceededException expected)
        {
            assertThat(expected.limitBytes()).isEqualTo(8 << 20);
        }
        return all;
    }

    /** Frees blocks 0, 2, 4, ... of {@code all}. @return the others, still live. */
    private static List<long[]> freeEveryOther(final OffHeapArena arena, final List<long[]> all)
    {
        final List<long[]> kept = new ArrayList<>();
        for (int i = 0; i < all.size(); i++)
        {
            if (i % 2 == 0)
            {
                arena.free(all.get(i)[0]);
            }
            else
            {
                kept.add(all.get(i));
            }
        }
        return kept;
    }

    private static void checkAll(final OffHeapArena arena, final List<long[]> blocks, final String when)
    {
        for (final long[] b : blocks)
        {
            Patterns.check(arena.resolve(b[0]), b[1], b[2], when);
            assertEquals(b[1], arena.sizeOf(b[0]));
        }
    }

    /**
     * A block too large for one step is copied a piece per step (a staged move). Reaching it between two
     * pieces (resolve, pin, reallocate, free) gives the move up and leaves the block where it was; a staged
     * move nobody interrupts ends with the block at its new place. Bytes are checked after every step.
     */
    @Test
    void shouldGiveUpAStagedMoveWhenTheBlockIsReachedBetweenPieces()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).build()))
        {
            final SplittableRandom rnd = new SplittableRandom(5);
            final List<long[]> kept = new ArrayList<>();
            final int[] reached = new int[5]; // by: resolve, pin, reallocate, free; [4]: completed untouched
            int serial = 2_000_000;
            int staged = 0;
            for (int steps = 0; steps < 400_000 && staged < 15; steps++)
            {
                if (!arena.compactionWorthIt())
                {
                    kept.addAll(sparseHeap(arena, 2000, rnd, 6)); // fragment the heap again
                }
                final int slot = arena.stagedSlotForTest();
                if (slot >= 0)
                {
                    final int k = indexOfSlot(kept, slot);
                    final long[] b = kept.get(k);
                    final long before = arena.resolveWithoutTouchForTest(b[0]);
                    final int how = staged++ % 5; // some staged moves are reached between pieces, others left alone
                    if (how == 0)
                    {
                        Patterns.check(arena.resolve(b[0]), b[1], b[2], "resolve while staged");
                        reached[0]++;
                    }
                    else if (how == 1)
                    {
                        final long pinned = pinOnAnotherThread(arena, b[0]);
                        assertEquals(before, pinned, "a pin between pieces sees the block where it is");
                        arena.unpin(b[0]);
                        reached[1]++;
                    }
                    else if (how == 2)
                    {
                        final long size = b[1] + 64;
                        assertEquals(b[0], arena.reallocate(b[0], size));
                        Patterns.check(arena.resolve(b[0]), b[1], b[2], "reallocated while staged");
                        Patterns.fill(arena.resolve(b[0]), size, serial);
                        kept.set(k, new long[] {b[0], size, serial++});
                        reached[2]++;
                    }
                    else if (how == 3)
                    {
                        arena.free(b[0]);
                        kept.remove(k);
                        reached[3]++;
                    }
                    if (how <= 3)
                    {
                        arena.compact(0, 1024);
                        assertThat(arena.stagedSlotForTest()).as("the staged move was given up").isNotEqualTo(slot);
                        if (how != 3)
                        {
                            assertEquals(before == arena.resolve(kept.get(k)[0]) || how == 2, true,
                                "a staged move given up leaves the block where it was");
                        }
                        arena.validate();
                        continue;
                    }
                    while (arena.stagedSlotForTest() == slot)
                    {
                        arena.compact(0, 1024); // untouched: a piece per step until it is done
                        arena.validate();
                    }
                    final long after = arena.resolve(b[0]);
                    Patterns.check(after, b[1], b[2], "after a staged move");
                    if (after != before)
                    {
                        reached[4]++;
                    }
                    continue;
                }
                arena.compact(0, 1024);
                if (steps % 64 == 0)
                {
                    arena.validate();
                }
            }
            checkAll(arena, kept, "after the staged moves");
            for (int i = 0; i < reached.length; i++)
            {
                assertThat(reached[i]).as("staged moves, case " + i).isGreaterThan(0);
            }
            for (final long[] b : kept)
            {
                arena.free(b[0]);
            }
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    /**
     * A heap where compaction finds nothing it can do (same-size blocks, every chunk equally sparse) must make
     * {@code compactionWorthIt} false until the heap changes, for an unlimited byte budget too: compactFully
     * used to step on, fruitlessly, until its deadline. Counted in steps, not time.
     */
    @Test
    void shouldStopCompactingFullyWhenNothingCanBeGained()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).memorySource(source)
            .spareChunks(0).build()))
        {
            final SplittableRandom rnd = new SplittableRandom(3);
            final List<long[]> kept = new ArrayList<>();
            for (int i = 0; i < 8 * 80; i++)
            {
                final long h = arena.allocateHandle(3000);
                Patterns.fill(arena.resolve(h), 3000, i);
                kept.add(new long[] {h, 3000, i});
            }
            final List<long[]> live = new ArrayList<>();
            for (final long[] b : kept)
            {
                if (rnd.nextInt(4) == 0)
                {
                    live.add(b);
                }
                else
                {
                    arena.free(b[0]);
                }
            }
            final long stepsBefore = arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS);
            arena.compactFully(2_000_000_000L);
            final long steps = arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS) - stepsBefore;
            assertThat(steps).as("compaction steps of one compactFully").isLessThan(10_000);
            assertThat(arena.compactionWorthIt(Long.MAX_VALUE) && arena.compactorPhaseForTest() == 0)
                .as("nothing left to gain without a heap change").isFalse();
            arena.validate();
            checkAll(arena, live, "after compactFully");
            for (final long[] b : live)
            {
                arena.free(b[0]);
            }
        }
        assertEquals(0, source.reservedBytes());
    }

    private static int indexOfSlot(final List<long[]> blocks, final int slot)
    {
        for (int i = 0; i < blocks.size(); i++)
        {
            if (HandleTable.indexOf(blocks.get(i)[0]) == slot)
            {
                return i;
            }
        }
        throw new AssertionError("no kept handle has slot " + slot);
    }

    private static long pinOnAnotherThread(final OffHeapArena arena, final long handle)
    {
        final long[] address = new long[1];
        final Thread t = new Thread(() -> address[0] = arena.pin(handle));
        t.start();
        try
        {
            t.join();
        }
        catch (final InterruptedException ex)
        {
            throw new AssertionError(ex);
        }
        return address[0];
    }

    /**
     * Steps with no time budget detach and restore a victim a few runs at a time; frees (which coalesce
     * across the frontier), allocations and reallocations between the steps must keep the free-run index,
     * the partial lists and every byte intact.
     */
    @Test
    void shouldStayConsistentWhenTheOwnerWorksBetweenTinyDetachAndRestoreSteps()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).build()))
        {
            final SplittableRandom rnd = new SplittableRandom(11);
            final List<long[]> live = sparseHeap(arena, 6000, rnd, 3);
            int serial = 1_000_000;
            long moved = 0;
            int phasesSeen = 0;
            for (int round = 0; round < 4000; round++)
            {
                final int phaseBefore = arena.compactorPhaseForTest();
                moved += arena.compact(0, rnd.nextInt(4) == 0 ? Long.MAX_VALUE : 16 << 10);
                if (arena.compactorPhaseForTest() != phaseBefore)
                {
                    phasesSeen++;
                }
                final int op = rnd.nextInt(3);
                if (op == 0 && !live.isEmpty())
                {
                    final long[] b = live.remove(rnd.nextInt(live.size()));
                    Patterns.check(arena.resolve(b[0]), b[1], b[2], "before free in round " + round);
                    arena.free(b[0]);
                }
                else if (op == 1)
                {
                    final long size = rnd.nextInt(10) < 7 ? 16 + rnd.nextInt(2000) : 4097 + rnd.nextInt(30_000);
                    final long h = arena.allocateHandle(size);
                    Patterns.fill(arena.resolve(h), size, serial);
                    live.add(new long[] {h, size, serial++});
                }
                else if (!live.isEmpty())
                {
                    final long[] b = live.get(rnd.nextInt(live.size()));
                    final long size = rnd.nextInt(10) < 7 ? 16 + rnd.nextInt(2000) : 4097 + rnd.nextInt(30_000);
                    arena.reallocate(b[0], size);
                    Patterns.check(arena.resolve(b[0]), Math.min(size, b[1]), b[2], "after reallocate in round " + round);
                    Patterns.fill(arena.resolve(b[0]), size, b[2]);
                    b[1] = size;
                }
                arena.validate();
            }
            checkAll(arena, live, "after the rounds");
            assertTrue(moved > 0, "some blocks moved");
            assertTrue(phasesSeen > 10, "the steps went through detach, move and restore phases: " + phasesSeen);
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldMoveBlocksKeepTheirBytesAndReleaseEmptiedChunks()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).build()))
        {
            final List<long[]> kept = sparseHeap(arena, 20_000, new SplittableRandom(1), 8);
            final long committedBefore = arena.committedBytes();
            final long live = arena.movableLiveBytes();
            assertThat(arena.compactionWorthIt()).isTrue();
            final long[] addresses = new long[kept.size()];
            for (int i = 0; i < kept.size(); i++)
            {
                addresses[i] = arena.resolve(kept.get(i)[0]);
            }
            int steps = 0;
            while (arena.compactionWorthIt() && steps < 1_000_000)
            {
                arena.compact();
                steps++;
                if (steps % 97 == 0)
                {
                    arena.validate();
                    checkAll(arena, kept, "after step " + steps);
                }
            }
            arena.validate();
            checkAll(arena, kept, "after default steps");
            arena.compactFully(10_000_000_000L); // unlimited byte budget: the large blocks move too
            arena.validate();
            checkAll(arena, kept, "after compaction");
            int moved = 0;
            for (int i = 0; i < kept.size(); i++)
            {
                moved += arena.resolve(kept.get(i)[0]) != addresses[i] ? 1 : 0;
            }
            final ArenaCounters c = arena.counters();
            assertThat(moved).isGreaterThan(0);
            assertThat(c.getOpaque(ArenaCounters.BLOCKS_MOVED)).isGreaterThanOrEqualTo(moved);
            assertThat(c.getOpaque(ArenaCounters.CHUNKS_RELEASED)).isGreaterThan(0);
            assertThat(arena.committedBytes()).isLessThan(committedBefore);
            final long movableCommitted = arena.committedBytes() - (1 << 20); // minus the fixed heap's chunks: none here
            assertThat((double)movableCommitted / live).as("committed/live after compaction").isLessThan(1.6);
            assertThat(arena.compact()).isZero();
            for (final long[] b : kept)
            {
                arena.free(b[0]);
            }
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldNeverMovePinnedBlocksAndReportBlockedRelease()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).build()))
        {
            final List<long[]> kept = sparseHeap(arena, 10_000, new SplittableRandom(2), 10);
            final List<long[]> pinned = new ArrayList<>();
            for (int i = 0; i < kept.size(); i += 5)
            {
                final long h = kept.get(i)[0];
                pinned.add(new long[] {h, arena.pin(h)});
            }
            arena.compactFully(5_000_000_000L);
            arena.validate();
            for (final long[] p : pinned)
            {
                assertEquals(p[1], arena.resolve(p[0]), "a pinned block moved");
                assertEquals(1, arena.pinned(p[0]));
            }
            checkAll(arena, kept, "after compaction with pins");
            assertThat(arena.counters().getOpaque(ArenaCounters.MOVES_SKIPPED_PINNED)).isGreaterThan(0);
            assertThat(arena.counters().getOpaque(ArenaCounters.RELEASE_BLOCKED)).isGreaterThan(0);
            for (final long[] p : pinned)
            {
                arena.unpin(p[0]);
            }
            final long before = arena.committedBytes();
            arena.compactFully(5_000_000_000L);
            arena.validate();
            checkAll(arena, kept, "after unpinned compaction");
            assertThat(arena.committedBytes()).isLessThanOrEqualTo(before);
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldResolveToTheNewAddressAfterAMove()
    {
        try (OffHeapArena arena = OffHeapArena.create(config(new NativeMemorySource()).build()))
        {
            final List<long[]> kept = sparseHeap(arena, 5000, new SplittableRandom(3), 20);
            final long[] before = new long[kept.size()];
            for (int i = 0; i < before.length; i++)
            {
                before[i] = arena.resolve(kept.get(i)[0]);
            }
            arena.compactFully(5_000_000_000L);
            int moved = 0;
            for (int i = 0; i < before.length; i++)
            {
                final long after = arena.resolve(kept.get(i)[0]);
                if (after != before[i])
                {
                    moved++;
                    Patterns.check(after, kept.get(i)[1], kept.get(i)[2], "moved block");
                }
            }
            assertThat(moved).isGreaterThan(0);
            assertEquals(arena.counters().getOpaque(ArenaCounters.BLOCKS_MOVED) >= moved, true);
        }
    }

    @Test
    void shouldRetireASlotWhoseGenerationWouldWrap()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long h = arena.allocateHandle(32);
            final int index = HandleTable.indexOf(h);
            arena.free(h);
            arena.handles().forceGenerationForTest(index, HandleTable.MAX_GENERATION);
            final long last = arena.allocateHandle(32);
            assertEquals(index, HandleTable.indexOf(last));
            assertEquals(HandleTable.MAX_GENERATION, HandleTable.generationOf(last));
            arena.free(last);
            assertEquals(1, arena.handles().retiredSlots());
            final long next = arena.allocateHandle(32);
            assertNotEquals(index, HandleTable.indexOf(next), "a retired slot is never reused");
            assertThrows(StaleHandleException.class, () -> arena.resolve(last));
            assertThrows(StaleHandleException.class, () -> arena.resolve(h));
        }
    }

    @Test
    void shouldReallocateHandlesKeepingTheHandleAndTheBytes()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long h = arena.allocateHandle(100);
            Patterns.fill(arena.resolve(h), 100, 5);
            assertEquals(h, arena.reallocate(h, 50_000));
            Patterns.check(arena.resolve(h), 100, 5, "grown");
            assertEquals(50_000, arena.sizeOf(h));
            Patterns.fill(arena.resolve(h), 50_000, 6);
            assertEquals(h, arena.reallocate(h, 3000));
            Patterns.check(arena.resolve(h), 3000, 6, "shrunk");
            assertEquals(h, arena.reallocate(h, 2_000_000));
            Patterns.check(arena.resolve(h), 3000, 6, "huge");
            arena.validate();
            assertEquals(1, arena.liveBlocks());
        }
    }

    @Test
    void shouldZeroAllocateHandleZeroedAndViewPinnedBlock()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long dirty = arena.allocateHandle(300);
            org.agrona.UnsafeApi.setMemory(arena.resolve(dirty), 300, (byte)1);
            arena.free(dirty);
            final long h = arena.allocateHandleZeroed(300);
            for (int i = 0; i < 300; i++)
            {
                assertEquals(0, org.agrona.UnsafeApi.getByte(arena.resolve(h) + i));
            }
            final UnsafeBuffer view = new UnsafeBuffer(0, 0);
            arena.pinAndWrap(h, view).putInt(0, 77);
            assertEquals(300, view.capacity());
            assertEquals(1, arena.pinned(h));
            arena.unpin(h);
            assertEquals(77, org.agrona.UnsafeApi.getInt(arena.resolve(h)));
        }
    }

    @Test
    void shouldCompactBeforeTakingANewChunkWhenAllocationFails()
    {
        final NativeMemorySource source = new NativeMemorySource();
        // a second for compaction at the limit (default 2 ms): this test is about compacting before taking a chunk, not
        // about that bound, which a slow moment on a shared CI core can use up (a 1.5 ms stall made it fail)
        try (OffHeapArena arena = OffHeapArena.create(config(source).maxTotalBytes(8 << 20)
            .compactOnFailureNanos(1_000_000_000L).build()))
        {
            final List<long[]> all = fillToTheLimit(arena);
            final List<long[]> kept = freeEveryOther(arena, all);
            // every hole is 8 KiB now: 16 KiB blocks fit only after compaction makes room
            final List<Long> more = new ArrayList<>();
            for (int i = 0; i < all.size() / 8; i++)
            {
                more.add(arena.allocateHandle(16_384));
            }
            assertThat(arena.committedBytes()).isLessThanOrEqualTo(8 << 20);
            assertThat(arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS)).isGreaterThan(0);
            assertThat(arena.counters().getOpaque(ArenaCounters.BLOCKS_MOVED)).isGreaterThan(0);
            checkAll(arena, kept, "after compact-on-failure");
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    /**
     * compactOnFailureNanos(0): the allocation that finds no space fails at the limit at once, moves nothing and
     * leaves every kept block where it was; the same arena then makes room when compact() is called explicitly.
     */
    @Test
    void shouldNotCompactAtAllocationWhenTheFailureBudgetIsZero()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).maxTotalBytes(8 << 20).compactOnFailureNanos(0).build()))
        {
            final List<long[]> all = fillToTheLimit(arena);
            final List<long[]> kept = freeEveryOther(arena, all);
            final long[] addresses = new long[kept.size()];
            for (int i = 0; i < addresses.length; i++)
            {
                addresses[i] = arena.resolve(kept.get(i)[0]);
            }
            final long live = arena.liveBytes();
            assertThatThrownBy(() -> arena.allocateHandle(16_384)).isInstanceOf(ArenaLimitExceededException.class);
            assertThat(arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS)).isZero();
            assertThat(arena.counters().getOpaque(ArenaCounters.BLOCKS_MOVED)).isZero();
            assertThat(arena.liveBytes()).isEqualTo(live);
            for (int i = 0; i < addresses.length; i++)
            {
                assertEquals(addresses[i], arena.resolve(kept.get(i)[0]), "block " + i + " moved");
            }
            checkAll(arena, kept, "after a failure with no compaction");
            arena.validate();
            // explicit compaction still makes room
            assertThat(arena.compactFully(1_000_000_000L)).isGreaterThan(0);
            arena.free(arena.allocateHandle(16_384));
            checkAll(arena, kept, "after explicit compaction");
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldRejectACompactOnFailureBudgetOutOfRange()
    {
        assertThatThrownBy(() -> ArenaConfig.builder().compactOnFailureNanos(-1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compactOnFailureNanos=-1")
            .hasMessageContaining("expected 0.." + ArenaConfig.MAX_COMPACT_ON_FAILURE_NANOS);
        assertThatThrownBy(() -> ArenaConfig.builder().compactOnFailureNanos(ArenaConfig.MAX_COMPACT_ON_FAILURE_NANOS + 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compactOnFailureNanos=");
        assertEquals(ArenaConfig.DEFAULT_COMPACT_ON_FAILURE_NANOS, ArenaConfig.defaults().compactOnFailureNanos());
    }

    /**
     * Arena ids go round robin: the arena created right after one closed does not take its id, so a handle of
     * the closed arena (which names slot 0 at generation 0, exactly as the new arena's first handle would under
     * the same id) is rejected with its arena named and never reaches the new arena's block.
     */
    @Test
    void shouldRejectAHandleOfAClosedArenaInTheArenaCreatedAfterIt()
    {
        final OffHeapArena first = OffHeapArena.create();
        final long old = first.allocateHandle(64);
        final int firstId = first.arenaId();
        first.close();
        try (OffHeapArena next = OffHeapArena.create())
        {
            assertNotEquals(firstId, next.arenaId(), "a closed arena's id came straight back");
            final long mine = next.allocateHandle(64);
            assertNotEquals(old, mine);
            Patterns.fill(next.resolve(mine), 64, 7);
            for (final Runnable call : new Runnable[] {() -> next.free(old), () -> next.resolve(old),
                () -> next.pin(old), () -> next.reallocate(old, 128), () -> next.sizeOf(old)})
            {
                assertThatThrownBy(call::run).isInstanceOf(InvalidBlockException.class)
                    .hasMessageContaining("belongs to arena " + firstId).hasMessageContaining("expected arena " + next.arenaId());
            }
            Patterns.check(next.resolve(mine), 64, 7, "after the closed arena's handle was refused");
            assertEquals(0, next.pinned(mine));
            next.validate();
            next.free(mine);
        }
    }

    /**
     * 40 blocks of 60 KB in 1 MiB chunks (17 to a chunk), every other one freed: 20 live over three chunks. The
     * sparse third chunk empties into the others' holes, and then nothing can be gained: neither remaining chunk's
     * blocks fit in the other's holes. A spare (an empty chunk kept for reuse) is no destination: moving a chunk's
     * blocks into it only swaps which chunk is empty, forever. So compaction settles, moving less than the live
     * bytes, and then returns at once; with 0 or 2 spares kept alike.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void shouldSettleInsteadOfShufflingBlocksIntoASpareChunk(final int spares)
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).spareChunks(spares).build()))
        {
            final int size = 60_000;
            final List<long[]> all = new ArrayList<>();
            for (int i = 0; i < 40; i++)
            {
                final long h = arena.allocateHandle(size);
                Patterns.fill(arena.resolve(h), size, i);
                all.add(new long[] {h, size, i});
            }
            final List<long[]> kept = freeEveryOther(arena, all);
            final long live = arena.liveBytes();
            final long stepsBefore = arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS);
            arena.compactFully(2_000_000_000L);
            final long steps = arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS) - stepsBefore;
            final long moved = arena.counters().getOpaque(ArenaCounters.BYTES_MOVED);
            assertThat(moved).as("bytes moved").isLessThanOrEqualTo(live);
            // it settles in a few steps (3-4 here); shuffling into the spare until the 2 s deadline would take
            // thousands. Counted in steps, not wall time, which a slow moment on a CI core stretches
            assertThat(steps).as("compactFully steps").isLessThan(1000);
            assertThat(arena.committedBytes()).isLessThanOrEqualTo((2L + spares) << 20);
            assertThat(arena.compactionWorthIt()).isFalse();
            assertEquals(0, arena.compact(1_000_000, Long.MAX_VALUE));
            assertEquals(moved, arena.counters().getOpaque(ArenaCounters.BYTES_MOVED));
            checkAll(arena, kept, "after compaction settled");
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    /** Step budgets derived from compactStepNanos (x10 at allocation failure, x50 in compactFully) saturate. */
    @Test
    void shouldSaturateDerivedStepBudgetsInsteadOfOverflowing()
    {
        assertEquals(50, OffHeapArena.saturatingTimes(5, 10));
        assertEquals(0, OffHeapArena.saturatingTimes(0, 50));
        assertEquals(Long.MAX_VALUE, OffHeapArena.saturatingTimes(Long.MAX_VALUE, 10));
        assertEquals(Long.MAX_VALUE, OffHeapArena.saturatingTimes(Long.MAX_VALUE / 10 + 1, 10));
        assertEquals(Long.MAX_VALUE / 50 * 50, OffHeapArena.saturatingTimes(Long.MAX_VALUE / 50, 50));
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(config(source).compactStepNanos(Long.MAX_VALUE).build()))
        {
            final List<long[]> kept = sparseHeap(arena, 600, new SplittableRandom(5), 4);
            assertThat(arena.compactFully(1_000_000_000L)).isGreaterThan(0); // one unbounded step, not a 0 budget
            checkAll(arena, kept, "after compactFully with a huge step budget");
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldReturnQuicklyWhenThereIsNothingToGain()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long h = arena.allocateHandle(100);
            assertThat(arena.compactionWorthIt()).isFalse();
            assertEquals(0, arena.compact());
            assertEquals(0, arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS));
            arena.free(h);
        }
    }

    /** A reader thread pins, checks and unpins while the owner compacts: pinned blocks never move or tear. */
    @Test
    void shouldKeepPinnedBlocksStillWhileTheOwnerCompacts() throws Exception
    {
        try (OffHeapArena arena = OffHeapArena.create(config(new NativeMemorySource()).build()))
        {
            final SplittableRandom rnd = new SplittableRandom(4);
            final List<long[]> kept = sparseHeap(arena, 20_000, rnd, 6);
            final long[] handles = kept.stream().mapToLong(b -> b[0]).toArray();
            final long[] sizes = kept.stream().mapToLong(b -> b[1]).toArray();
            final long[] seeds = kept.stream().mapToLong(b -> b[2]).toArray();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicLong pins = new AtomicLong();
            final Thread reader = new Thread(() ->
            {
                final SplittableRandom r = new SplittableRandom(5);
                try
                {
                    while (!stop.get())
                    {
                        final int i = r.nextInt(handles.length);
                        final long address = arena.pin(handles[i]);
                        Patterns.check(address, sizes[i], seeds[i], "pinned read");
                        Thread.onSpinWait();
                        Patterns.check(address, Math.min(64, sizes[i]), seeds[i], "pinned re-read");
                        arena.unpin(handles[i]);
                        pins.incrementAndGet();
                    }
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            });
            reader.start();
            // at least 1.5 s, and on until the reader has pinned 100 times and the owner compacted 10 rounds (a busy
            // CI core may starve either thread for a while), 20 s at most
            final long start = System.nanoTime();
            final long deadline = start + 1_500_000_000L;
            final long cap = start + 20_000_000_000L;
            int rounds = 0;
            while (failure.get() == null && (System.nanoTime() < deadline ||
                System.nanoTime() < cap && (pins.get() <= 100 || rounds <= 10)))
            {
                // churn the heap a little so there is always something to compact
                for (int k = 0; k < 200; k++)
                {
                    final long h = arena.allocateHandle(16 + rnd.nextInt(3000));
                    arena.free(h);
                }
                if (!arena.compactionWorthIt())
                {
                    final List<Long> tmp = new ArrayList<>();
                    for (int k = 0; k < 2000; k++)
                    {
                        tmp.add(arena.allocateHandle(16 + rnd.nextInt(3000)));
                    }
                    for (int k = 0; k < tmp.size(); k += 1)
                    {
                        arena.free(tmp.get(k));
                    }
                }
                arena.compact(20_000, Long.MAX_VALUE);
                rounds++;
            }
            stop.set(true);
            reader.join();
            if (failure.get() != null)
            {
                throw new AssertionError("reader failed after " + pins.get() + " pins", failure.get());
            }
            arena.validate();
            checkAll(arena, kept, "after stress");
            assertThat(pins.get()).isGreaterThan(100);
            assertThat(rounds).isGreaterThan(10);
        }
    }
}
