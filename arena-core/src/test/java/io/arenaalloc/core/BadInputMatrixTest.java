package io.arenaalloc.core;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The bad-input matrix: every public method of {@link OffHeapArena} against every class of bad input that applies
 * to it, one row a case, so that a gap shows in one place. Each row checks the exception type, that its message
 * names the parameter, the value and what was expected, and that the arena is exactly as before: {@link ArenaState}
 * (counters but limit failures, committed and live bytes, live blocks, allocation count, the free cache, every
 * chunk and block of the walk with its pinned flag), every live block's pattern, every handle's address, size and
 * pin count, then validate() and a following allocate/free of each kind.
 *
 * <p>The fixture ({@link Fx}) holds small, medium, huge and aligned fixed blocks; small, medium, huge and pinned
 * movable blocks; a freed small and a freed medium block in the free cache (so a call that flushes the cache on
 * its way to an exception shows); a released huge block; stale handles (freed; freed and slot reused; wrong
 * generation); a handle of another open arena. Compaction at allocation failure is off in the fixture: the class
 * Javadoc's one documented qualification (it may move unpinned handle blocks) is tested in
 * {@link HandlesAndCompactionTest}.
 *
 * <p>Cases {@link BadInputTest} already asserts (with {@link ArenaState}) are not repeated here:
 * sizes 0, -1, -4096, MIN, MAX_REQUEST + 1, MAX for allocate, allocateZeroed, allocateHandle, allocateAligned and
 * both reallocates ({@code shouldRejectBadSizes}); alignments 0, -8, 3, 24, 100, 2 x chunkSize
 * ({@code shouldRejectBadAlignment}); free / usableSize / reallocate of a malloc'd address and free(0)
 * ({@code shouldRejectForeignAddress}); free inside a small, medium and huge block; double free of each kind;
 * a freed handle through free, resolve, pin, sizeOf, reallocate and free after slot reuse; free of another arena's
 * handle; resolve of a never-issued slot; free of a movable block by address; free / reallocate of a pinned
 * handle and unpin after unpin; medium limits by loop; most calls after close; bad regions (misaligned, short,
 * overlapping, removeRegion of a block); the configuration options it lists.
 */
class BadInputMatrixTest
{
    static final long CHUNK = 1 << 20;
    static final long LIMIT = 8L << 20;
    /** Fits under the limit alone, not beside what the fixture holds. */
    static final long TOO_MUCH = 6L << 20;
    static final String SIZE_RANGE = "expected 1.." + OffHeapArena.MAX_REQUEST;
    static final String ALIGN_RANGE = "expected a power of two from 1 to chunkSize=" + CHUNK;
    static final String LIMIT_TEXT = "maxTotalBytes=" + LIMIT;

    /** The arena every case starts from. */
    static final class Fx implements AutoCloseable
    {
        final OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).maxTotalBytes(LIMIT)
            .compactOnAllocationFailure(false).build());
        final OffHeapArena other = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build());
        final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
        final List<long[]> fixedBlocks = new ArrayList<>(); // {address, size, seed}
        final List<long[]> handleBlocks = new ArrayList<>(); // {handle, size, seed}
        final List<Long> filler = new ArrayList<>(); // what fillToTheLimit took
        final long small = fixed(100);
        final long freedSmall = arena.allocate(100);
        final long medium = fixed(20_000);
        final long freedMedium = arena.allocate(20_000);
        final long huge = fixed(700_000);
        final long freedHuge = arena.allocate(600_000);
        final long aligned = fixedAligned(3000, 4096);
        final long hSmall = movable(64);
        final long hMedium = movable(20_000);
        final long hHuge = movable(600_000);
        final long hPinned = movable(64);
        final long staleReused = arena.allocateHandle(64);
        final long hReuse;
        final long staleFreed;
        final long wrongGeneration;
        final long neverIssued;
        final long otherHandle = other.allocateHandle(32);

        Fx()
        {
            arena.free(freedSmall);
            arena.free(freedMedium);
            arena.free(freedHuge);
            arena.free(staleReused);
            hReuse = movable(64);
            assertEquals(HandleTable.indexOf(staleReused), HandleTable.indexOf(hReuse));
            staleFreed = arena.allocateHandle(64);
            arena.free(staleFreed);
            arena.pin(hPinned);
            wrongGeneration = HandleTable.handle(arena.arenaId(), HandleTable.generationOf(hSmall) + 5,
                HandleTable.indexOf(hSmall));
            neverIssued = HandleTable.handle(arena.arenaId(), 0, 1 << 20);
            assertThat(arena.freeCacheBlocks()).isEqualTo(2);
        }

        private long fixed(final long size)
        {
            final long a = arena.allocate(size);
            Patterns.fill(a, size, a);
            fixedBlocks.add(new long[] {a, size, a});
            return a;
        }

        private long fixedAligned(final long size, final long alignment)
        {
            final long a = arena.allocateAligned(size, alignment);
            Patterns.fill(a, size, a);
            fixedBlocks.add(new long[] {a, size, a});
            return a;
        }

        private long movable(final long size)
        {
            final long h = arena.allocateHandle(size);
            Patterns.fill(arena.resolve(h), size, h);
            handleBlocks.add(new long[] {h, size, h});
            return h;
        }

        /** Addresses, sizes and pins of every fixture handle: what a rejected call must leave alone. */
        List<String> handleStates()
        {
            final List<String> states = new ArrayList<>();
            for (final long[] h : handleBlocks)
            {
                states.add(Long.toHexString(h[0]) + "@" + arena.resolve(h[0]) + ":" + arena.sizeOf(h[0]) + ":pins=" +
                    arena.pinned(h[0]));
            }
            return states;
        }

        void checkPatterns()
        {
            for (final long[] b : fixedBlocks)
            {
                Patterns.check(b[0], b[1], b[2], "fixed block");
            }
            for (final long[] h : handleBlocks)
            {
                Patterns.check(arena.resolve(h[0]), h[1], h[2], "handle block");
            }
        }

        /** A valid call of each kind still works after the rejected one. */
        void checkStillWorks()
        {
            arena.validate();
            for (final long block : filler)
            {
                arena.free(block);
            }
            for (final long size : new long[] {100, 20_000})
            {
                final long a = arena.allocate(size);
                Patterns.fill(a, size, 7);
                Patterns.check(a, size, 7, "new block");
                arena.free(a);
                final long h = arena.allocateHandle(size);
                arena.free(h);
            }
            arena.unpin(hPinned);
            arena.free(hPinned);
            arena.validate();
        }

        public void close()
        {
            arena.close();
            other.close();
        }
    }

    @FunctionalInterface
    interface Call
    {
        void run(Fx f) throws Throwable;
    }

    @FunctionalInterface
    interface Parts
    {
        String[] of(Fx f);
    }

    /** @param reclaims the call meets the limit after the free cache was given back (see {@link OffHeapArena}). */
    record Case(Class<? extends Throwable> type, Call prepare, Call call, Parts parts, boolean reclaims)
    {
    }

    private static final Call NOTHING = f -> { };

    private static Arguments c(final String name, final Class<? extends Throwable> type, final Call call,
        final String... parts)
    {
        return Arguments.of(Named.of(name, new Case(type, NOTHING, call, f -> parts, false)));
    }

    /** A call that meets the limit with room left for a chunk: it gives the free cache back first, by design. */
    private static Arguments reclaiming(final String name, final Call call, final String... parts)
    {
        return Arguments.of(Named.of(name, new Case(ArenaLimitExceededException.class, NOTHING, call, f -> parts, true)));
    }

    private static Arguments cx(final String name, final Class<? extends Throwable> type, final Call call,
        final Parts parts)
    {
        return Arguments.of(Named.of(name, new Case(type, NOTHING, call, parts, false)));
    }

    private static Arguments prepared(final String name, final Class<? extends Throwable> type, final Call prepare,
        final Call call, final String... parts)
    {
        return Arguments.of(Named.of(name, new Case(type, prepare, call, f -> parts, false)));
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    static String[] parts(final String... parts)
    {
        return parts;
    }

    /** Takes chunks until the limit refuses: afterwards medium requests fail too. */
    static void fillToTheLimit(final Fx f)
    {
        for (final long size : new long[] {600_000, 400_000, 100_000})
        {
            try
            {
                while (true)
                {
                    f.filler.add(f.arena.allocate(size));
                }
            }
            catch (final ArenaLimitExceededException expected)
            {
                // full for this size
            }
            try
            {
                while (true)
                {
                    f.filler.add(f.arena.allocateHandle(size));
                }
            }
            catch (final ArenaLimitExceededException expected)
            {
                // full for this size
            }
        }
    }

    static Stream<Arguments> cases()
    {
        final Class<IllegalArgumentException> iae = IllegalArgumentException.class;
        final Class<IllegalStateException> ise = IllegalStateException.class;
        final Class<InvalidBlockException> invalid = InvalidBlockException.class;
        final Class<StaleHandleException> stale = StaleHandleException.class;
        final Class<ArenaLimitExceededException> limit = ArenaLimitExceededException.class;
        final List<Arguments> list = new ArrayList<>();

        // ---- sizes (the rest: BadInputTest.shouldRejectBadSizes) ------------------------------------------
        for (final long size : new long[] {0, -1, Long.MIN_VALUE, OffHeapArena.MAX_REQUEST + 1, Long.MAX_VALUE})
        {
            list.add(c("allocateHandleZeroed size=" + size, iae, f -> f.arena.allocateHandleZeroed(size),
                "size=" + size, SIZE_RANGE));
        }
        list.add(c("allocateAligned size=0 with a bad alignment names the size first", iae,
            f -> f.arena.allocateAligned(0, 3), "size=0", SIZE_RANGE));

        // ---- limits: above the limit outright, above what is left, through every allocating call -----------
        final long max = OffHeapArena.MAX_REQUEST;
        list.add(c("allocate size=MAX_REQUEST above the limit", limit, f -> f.arena.allocate(max), "size=" + max,
            LIMIT_TEXT));
        list.add(reclaiming("allocate above what is left", f -> f.arena.allocate(TOO_MUCH), "size=" + TOO_MUCH, LIMIT_TEXT));
        list.add(reclaiming("allocateZeroed above what is left", f -> f.arena.allocateZeroed(TOO_MUCH), "size=" + TOO_MUCH));
        list.add(c("allocateAligned above the limit", limit, f -> f.arena.allocateAligned(max, 16), "size=" + max));
        list.add(reclaiming("allocateAligned above what is left", f -> f.arena.allocateAligned(TOO_MUCH, 4096),
            "size=" + TOO_MUCH, LIMIT_TEXT));
        list.add(reclaiming("allocateAligned whose alignment padding passes the limit",
            f -> f.arena.allocateAligned(4L << 20, CHUNK), "size=" + (4L << 20)));
        list.add(c("allocateHandle above the limit", limit, f -> f.arena.allocateHandle(max), "size=" + max));
        list.add(reclaiming("allocateHandle above what is left", f -> f.arena.allocateHandle(TOO_MUCH), "size=" + TOO_MUCH));
        list.add(reclaiming("allocateHandleZeroed above what is left", f -> f.arena.allocateHandleZeroed(TOO_MUCH),
            "size=" + TOO_MUCH));
        list.add(reclaiming("reallocate small fixed above what is left", f -> f.arena.reallocate(f.small, TOO_MUCH),
            "size=" + TOO_MUCH, LIMIT_TEXT));
        list.add(reclaiming("reallocate medium fixed above what is left", f -> f.arena.reallocate(f.medium, TOO_MUCH),
            "size=" + TOO_MUCH));
        list.add(reclaiming("reallocate huge fixed above what is left", f -> f.arena.reallocate(f.huge, TOO_MUCH),
            "size=" + TOO_MUCH));
        list.add(c("reallocate aligned fixed above the limit", limit, f -> f.arena.reallocate(f.aligned, max),
            "size=" + max));
        list.add(reclaiming("reallocate small handle above what is left", f -> f.arena.reallocate(f.hSmall, TOO_MUCH),
            "size=" + TOO_MUCH, LIMIT_TEXT));
        list.add(reclaiming("reallocate medium handle above what is left", f -> f.arena.reallocate(f.hMedium, TOO_MUCH),
            "size=" + TOO_MUCH));
        list.add(c("reallocate huge handle above the limit", limit, f -> f.arena.reallocate(f.hHuge, max),
            "size=" + max));
        list.add(prepared("allocate medium at the limit", limit, BadInputMatrixTest::fillToTheLimit,
            f -> f.arena.allocate(400_000), "size=400000", LIMIT_TEXT));
        list.add(prepared("allocateAligned medium at the limit", limit, BadInputMatrixTest::fillToTheLimit,
            f -> f.arena.allocateAligned(300_000, 4096), "size=300000"));
        list.add(prepared("allocateHandle medium at the limit", limit, BadInputMatrixTest::fillToTheLimit,
            f -> f.arena.allocateHandle(400_000), "size=400000"));
        list.add(prepared("reallocate medium fixed to a longer medium at the limit", limit,
            BadInputMatrixTest::fillToTheLimit, f -> f.arena.reallocate(f.medium, 400_000), "size=400000"));
        list.add(prepared("reallocate medium handle to a longer medium at the limit", limit,
            BadInputMatrixTest::fillToTheLimit, f -> f.arena.reallocate(f.hMedium, 400_000), "size=400000"));

        // ---- alignment (the rest: BadInputTest.shouldRejectBadAlignment) --------------------------------------
        for (final long alignment : new long[] {-1, Long.MIN_VALUE, 48, 1L << 62, Long.MAX_VALUE})
        {
            list.add(c("allocateAligned alignment=" + alignment, iae, f -> f.arena.allocateAligned(64, alignment),
                "alignment=" + alignment, ALIGN_RANGE));
        }

        // ---- addresses ------------------------------------------------------------------------------------
        list.add(c("free a huge address", invalid, f -> f.arena.free(Long.MAX_VALUE), "free: address=" +
            hex(Long.MAX_VALUE), "not allocated by arena"));
        list.add(c("free an address above user space", invalid, f -> f.arena.free(1L << 47), "address=" + hex(1L << 47)));
        list.add(cx("free a released huge block", invalid, f -> f.arena.free(f.freedHuge),
            f -> parts("address=" + hex(f.freedHuge), "not allocated by arena")));
        list.add(cx("free inside an aligned block", invalid, f -> f.arena.free(f.aligned + 256),
            f -> parts("address=" + hex(f.aligned + 256), "not the start of a live block")));
        list.add(cx("free a movable huge block by address", invalid, f -> f.arena.free(f.arena.resolve(f.hHuge)),
            f -> parts("free: address=" + hex(f.arena.resolve(f.hHuge)), "movable", "handle")));
        for (final String op : new String[] {"usableSize", "reallocate", "wrap"})
        {
            final AddressCall call = op.equals("usableSize") ? (f, a) -> f.arena.usableSize(a) :
                op.equals("reallocate") ? (f, a) -> f.arena.reallocate(a, 10) : (f, a) -> f.arena.wrap(f.buffer, a);
            final String name = op.equals("wrap") ? "usableSize" : op; // wrap reports through usableSize
            list.add(cx(op + " inside a small block", invalid, f -> call.run(f, f.small + 16),
                f -> parts(name + ": address=" + hex(f.small + 16), "not the start of a live block")));
            list.add(cx(op + " inside a medium block", invalid, f -> call.run(f, f.medium + 256),
                f -> parts("address=" + hex(f.medium + 256), "not the start of a live block")));
            list.add(cx(op + " inside a huge block", invalid, f -> call.run(f, f.huge + 4096),
                f -> parts("address=" + hex(f.huge + 4096), "not the start of a live block")));
            list.add(cx(op + " a freed small block (in the free cache)", invalid, f -> call.run(f, f.freedSmall),
                f -> parts("address=" + hex(f.freedSmall), "not the start of a live block")));
            list.add(cx(op + " a freed medium block (in the free cache)", invalid, f -> call.run(f, f.freedMedium),
                f -> parts("address=" + hex(f.freedMedium), "not the start of a live block")));
            list.add(cx(op + " a released huge block", invalid, f -> call.run(f, f.freedHuge),
                f -> parts("address=" + hex(f.freedHuge), "not allocated by arena")));
            list.add(c(op + " address 0", invalid, f -> call.run(f, 0), name + ": address=0x0", "not allocated by arena"));
            list.add(c(op + " a huge address", invalid, f -> call.run(f, Long.MAX_VALUE),
                "address=" + hex(Long.MAX_VALUE), "not allocated by arena"));
            list.add(cx(op + " a small movable block by address", invalid, f -> call.run(f, f.arena.resolve(f.hSmall)),
                f -> parts("address=" + hex(f.arena.resolve(f.hSmall)), "movable")));
            list.add(cx(op + " a huge movable block by address", invalid, f -> call.run(f, f.arena.resolve(f.hHuge)),
                f -> parts("address=" + hex(f.arena.resolve(f.hHuge)), "movable")));
        }
        list.add(cx("usableSize of a handle", invalid, f -> f.arena.usableSize(f.hSmall),
            f -> parts("usableSize: address=" + hex(f.hSmall), "is a handle, expected the address of a fixed block")));
        list.add(cx("wrap with a null buffer", iae, f -> f.arena.wrap(null, f.small), f -> parts("buffer=null",
            "expected")));

        // ---- handles --------------------------------------------------------------------------------------
        final String[] ops = {"resolve", "sizeOf", "pin", "unpin", "pinned", "free", "reallocate", "pinAndWrap"};
        for (final String op : ops)
        {
            final HandleCall call = handleCall(op);
            final String reported = op; // every message names the public method called
            if (!op.equals("pinned")) // pinned() of a stale handle of this arena is 0 by contract
            {
                if (!List.of("free", "resolve", "pin", "sizeOf", "reallocate").contains(op)) // else BadInputTest
                {
                    list.add(cx(op + " a freed handle", stale, f -> call.run(f, f.staleFreed),
                        f -> parts(reported + ": handle=" + hex(f.staleFreed), "is stale", "generation")));
                }
                if (!op.equals("free")) // else BadInputTest
                {
                    list.add(cx(op + " a freed handle whose slot was reused", stale, f -> call.run(f, f.staleReused),
                        f -> parts(reported + ": handle=" + hex(f.staleReused), "is stale",
                            "generation " + HandleTable.generationOf(f.staleReused))));
                }
                list.add(cx(op + " a handle of the wrong generation", stale, f -> call.run(f, f.wrongGeneration),
                    f -> parts(reported + ": handle=" + hex(f.wrongGeneration), "is stale",
                        "generation " + HandleTable.generationOf(f.wrongGeneration))));
            }
            if (!op.equals("free")) // else BadInputTest
            {
                list.add(cx(op + " another arena's handle", invalid, f -> call.run(f, f.otherHandle),
                    f -> parts(reported + ": handle=" + hex(f.otherHandle), "belongs to arena " + f.other.arenaId(),
                        "expected arena " + f.arena.arenaId())));
            }
            list.add(cx(op + " a random negative long", invalid, f -> call.run(f, -1),
                f -> parts(reported + ": handle=" + hex(-1), "belongs to arena " + HandleTable.arenaIdOf(-1),
                    "expected arena " + f.arena.arenaId())));
            if (!op.equals("resolve")) // else BadInputTest
            {
                list.add(cx(op + " a never-issued slot", stale, f -> call.run(f, f.neverIssued),
                    f -> parts(reported + ": handle=" + hex(f.neverIssued), "never issued")));
            }
            if (!op.equals("free") && !op.equals("reallocate")) // those take an address too
            {
                list.add(cx(op + " an address for a handle", invalid, f -> call.run(f, f.small),
                    f -> parts(reported + ": handle=" + hex(f.small), "is not a handle")));
                list.add(c(op + " 0 for a handle", invalid, f -> call.run(f, 0), reported + ": handle=0x0",
                    "is not a handle"));
                // a non-negative word whose low bits name a slot the table holds but never issued (state word 0)
                list.add(c(op + " a small number naming an unissued slot", invalid, f -> call.run(f, 4000),
                    reported + ": handle=" + hex(4000), "is not a handle"));
                // a non-negative word equal to a freed slot's state word (arena, generation; LIVE clear)
                list.add(cx(op + " a non-negative word matching a freed slot", invalid,
                    f -> call.run(f, positiveTwinOfFreedSlot(f)),
                    f -> parts(reported + ": handle=" + hex(positiveTwinOfFreedSlot(f)), "is not a handle")));
            }
        }
        list.add(cx("unpin a handle never pinned", ise, f -> f.arena.unpin(f.hMedium),
            f -> parts("unpin: handle=" + hex(f.hMedium), "not pinned (pins=0)", "expected a matching pin")));
        list.add(prepared("pin a handle at the most pins", ise, f ->
        {
            for (int i = 0; i < HandleTable.MAX_PINS; i++)
            {
                f.arena.pin(f.hSmall);
            }
        }, f -> f.arena.pin(f.hSmall), "pins=" + HandleTable.MAX_PINS, "the maximum"));
        list.add(cx("pinAndWrap with a null buffer", iae, f -> f.arena.pinAndWrap(f.hSmall, null),
            f -> parts("buffer=null", "expected")));
        list.add(cx("reallocate a pinned handle to a bad size names the size", iae,
            f -> f.arena.reallocate(f.hPinned, -5), f -> parts("newSize=-5", SIZE_RANGE)));

        // ---- compaction -----------------------------------------------------------------------------------
        list.add(c("compact maxNanos=-1", iae, f -> f.arena.compact(-1, 100), "maxNanos=-1", "expected >= 0"));
        list.add(c("compact maxBytes=-1", iae, f -> f.arena.compact(100, -1), "maxBytes=-1", "expected >= 0"));
        list.add(c("compact maxNanos=MIN", iae, f -> f.arena.compact(Long.MIN_VALUE, 0), "maxNanos=" + Long.MIN_VALUE));
        list.add(c("compactFully maxNanos=-1", iae, f -> f.arena.compactFully(-1), "maxNanos=-1", "expected >= 0"));
        list.add(c("compactionWorthIt maxBytes=-1", iae, f -> f.arena.compactionWorthIt(-1), "maxBytes=-1",
            "expected >= 0"));

        // ---- regions (the rest: BadInputTest.shouldRejectBadRegions; live regions: a test below) -----------
        list.add(c("addRegion address 0", iae, f -> f.arena.addRegion(0, CHUNK), "address=0x0", "positive address"));
        list.add(c("addRegion a negative address", iae, f -> f.arena.addRegion(-256, CHUNK), "address=" + hex(-256)));
        list.add(c("addRegion length=-1", iae, f -> f.arena.addRegion(CHUNK, -1), "length=-1", "multiple of 256"));
        list.add(c("addRegion length not a multiple of 256", iae, f -> f.arena.addRegion(CHUNK, CHUNK + 100),
            "length=" + (CHUNK + 100), "multiple of 256"));
        list.add(c("addRegion length=MAX", iae, f -> f.arena.addRegion(CHUNK, Long.MAX_VALUE & -256L),
            "length=" + (Long.MAX_VALUE & -256L), "at most " + OffHeapArena.MAX_REQUEST));
        list.add(c("addRegion past the end of the address space", iae,
            f -> f.arena.addRegion(Long.MAX_VALUE & -256L, CHUNK), "address=" + hex(Long.MAX_VALUE & -256L),
            "length=" + CHUNK, "past the end of the address space"));
        list.add(c("removeRegion address 0", iae, f -> f.arena.removeRegion(0), "address=0x0",
            "expected the start address of a region"));
        list.add(c("removeRegion a huge address", iae, f -> f.arena.removeRegion(Long.MAX_VALUE),
            "address=" + hex(Long.MAX_VALUE), "expected the start address of a region"));
        list.add(cx("removeRegion a regular chunk", iae, f -> f.arena.removeRegion(f.arena.chunkMap().find(f.small).base),
            f -> parts("expected the start address of a region")));

        // ---- reset, walk ----------------------------------------------------------------------------------
        list.add(c("reset while a handle is pinned", ise, f -> f.arena.reset(), "is pinned", "expected no pinned handles"));
        list.add(c("walk with a null visitor", iae, f -> f.arena.walk(null), "visitor=null", "expected"));
        return list.stream();
    }

    @FunctionalInterface
    interface AddressCall
    {
        void run(Fx f, long address) throws Throwable;
    }

    @FunctionalInterface
    interface HandleCall
    {
        void run(Fx f, long handle) throws Throwable;
    }

    static long positiveTwinOfFreedSlot(final Fx f)
    {
        return HandleTable.handle(f.arena.arenaId(), HandleTable.generationOf(f.staleFreed) + 1,
            HandleTable.indexOf(f.staleFreed)) & Long.MAX_VALUE;
    }

    static HandleCall handleCall(final String op)
    {
        switch (op)
        {
            case "resolve": return (f, h) -> f.arena.resolve(h);
            case "sizeOf": return (f, h) -> f.arena.sizeOf(h);
            case "pin": return (f, h) -> f.arena.pin(h);
            case "unpin": return (f, h) -> f.arena.unpin(h);
            case "pinned": return (f, h) -> f.arena.pinned(h);
            case "free": return (f, h) -> f.arena.free(h);
            case "reallocate": return (f, h) -> f.arena.reallocate(h, 10);
            case "pinAndWrap": return (f, h) -> f.arena.pinAndWrap(h, f.buffer);
            default: throw new IllegalArgumentException(op);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldRejectAndChangeNothing(final Case c) throws Throwable
    {
        try (Fx f = new Fx())
        {
            c.prepare().run(f);
            final ArenaState before = new ArenaState(f.arena);
            final List<String> handlesBefore = f.handleStates();
            final Throwable ex = assertThrows(c.type(), () -> c.call().run(f));
            assertThat(ex.getClass()).isEqualTo(c.type());
            assertThat(ex.getMessage()).contains(c.parts().of(f));
            if (c.reclaims())
            {
                ArenaState.assertLiveUnchanged(before, f.arena);
            }
            else
            {
                ArenaState.assertUnchanged(before, f.arena);
            }
            assertEquals(handlesBefore, f.handleStates(), "handles changed");
            f.checkPatterns();
            f.checkStillWorks();
        }
    }

    // ---- after close (the rest: BadInputTest.shouldRejectEveryCallAfterClose) --------------------------------

    static Stream<Arguments> afterClose()
    {
        final List<Arguments> list = new ArrayList<>();
        list.add(c("allocateZeroed", IllegalStateException.class, f -> f.arena.allocateZeroed(8)));
        list.add(c("allocateAligned", IllegalStateException.class, f -> f.arena.allocateAligned(8, 64)));
        list.add(c("allocateHandleZeroed", IllegalStateException.class, f -> f.arena.allocateHandleZeroed(8)));
        list.add(c("reallocate a handle", IllegalStateException.class, f -> f.arena.reallocate(f.hSmall, 100)));
        list.add(c("free a handle", IllegalStateException.class, f -> f.arena.free(f.hSmall)));
        list.add(c("free a huge block", IllegalStateException.class, f -> f.arena.free(f.huge)));
        list.add(c("unpin a pinned handle", IllegalStateException.class, f -> f.arena.unpin(f.hPinned)));
        list.add(c("pinAndWrap", IllegalStateException.class, f -> f.arena.pinAndWrap(f.hSmall, f.buffer)));
        list.add(c("wrap", IllegalStateException.class, f -> f.arena.wrap(f.buffer, f.small)));
        list.add(c("compact(maxNanos, maxBytes)", IllegalStateException.class, f -> f.arena.compact(1000, 1000)));
        list.add(c("compactFully", IllegalStateException.class, f -> f.arena.compactFully(1000)));
        list.add(c("flushFreeCache", IllegalStateException.class, f -> f.arena.flushFreeCache()));
        list.add(c("walk", IllegalStateException.class, f -> f.arena.walk((a, s, u, m) -> { })));
        list.add(c("addRegion", IllegalStateException.class, f -> f.arena.addRegion(CHUNK, CHUNK)));
        list.add(c("removeRegion", IllegalStateException.class, f -> f.arena.removeRegion(CHUNK)));
        return list.stream();
    }

    @ParameterizedTest(name = "{0} after close")
    @MethodSource("afterClose")
    void shouldRejectEveryCallAfterClose(final Case c)
    {
        try (Fx f = new Fx())
        {
            f.arena.close();
            final long reserved = f.arena.memorySource().reservedBytes();
            final Throwable ex = assertThrows(c.type(), () -> c.call().run(f));
            assertThat(ex.getMessage()).contains("arena " + f.arena.arenaId() + " is closed", "expected an open arena");
            assertEquals(reserved, f.arena.memorySource().reservedBytes());
            assertThat(f.arena.isClosed()).isTrue();
            assertThat(f.arena.compactionWorthIt()).isFalse();
            assertThat(f.arena.freeCacheBlocks()).isZero();
            assertThat(f.arena.liveBlocks()).isZero();
            assertThat(f.arena.committedBytes()).isZero();
        }
    }

    // ---- regions with blocks in them -----------------------------------------------------------------------

    @Test
    void shouldRefuseToRemoveARegionWithALiveBlockAndChangeNothing()
    {
        final long raw = UnsafeApi.allocateMemory(CHUNK + 256);
        final long region = (raw + 255) & -256L;
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            arena.addRegion(region, CHUNK);
            final long live = arena.allocate(100); // the region is the fixed heap's only chunk
            final long cached = arena.allocate(100);
            assertThat(live).isBetween(region, region + CHUNK - 1);
            Patterns.fill(live, 100, 1);
            arena.free(cached);
            assertThat(arena.freeCacheBlocks()).isEqualTo(1);
            final ArenaState before = new ArenaState(arena);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> arena.removeRegion(region));
            assertThat(ex.getMessage()).contains("removeRegion: region at address=" + hex(region), "live blocks",
                "expected none");
            ArenaState.assertUnchanged(before, arena);
            final IllegalArgumentException inside =
                assertThrows(IllegalArgumentException.class, () -> arena.removeRegion(region + 256));
            assertThat(inside.getMessage()).contains("address=" + hex(region + 256), "expected the start address");
            ArenaState.assertUnchanged(before, arena);
            Patterns.check(live, 100, 1, "block in the region");
            arena.free(live);
            arena.removeRegion(region); // empty now: taken back
            arena.validate();
        }
        finally
        {
            UnsafeApi.freeMemory(raw);
        }
    }

    // ---- configuration (the rest: BadInputTest.shouldRejectBadConfiguration, HandlesAndCompactionTest) -------

    @FunctionalInterface
    interface Option
    {
        void set(ArenaConfig.Builder b);
    }

    private static Arguments option(final String name, final Option set, final String... parts)
    {
        return Arguments.of(Named.of(name, set), parts);
    }

    static Stream<Arguments> badOptions()
    {
        final String chunkRange = "expected a power of two in [" + ArenaConfig.MIN_CHUNK_SIZE + ", " +
            ArenaConfig.MAX_CHUNK_SIZE + "]";
        final List<Arguments> list = new ArrayList<>();
        for (final long v : new long[] {0, -1, Long.MIN_VALUE, ArenaConfig.MIN_CHUNK_SIZE / 2, ArenaConfig.MAX_CHUNK_SIZE * 2,
            Long.MAX_VALUE, (1L << 20) + 4096})
        {
            list.add(option("chunkSize=" + v, b -> b.chunkSize(v), "chunkSize=" + v, chunkRange));
        }
        for (final long v : new long[] {-1, Long.MIN_VALUE})
        {
            list.add(option("maxTotalBytes=" + v, b -> b.maxTotalBytes(v), "maxTotalBytes=" + v, "expected > 0"));
            list.add(option("compactStepNanos=" + v, b -> b.compactStepNanos(v), "compactStepNanos=" + v, "expected >= 0"));
            list.add(option("compactStepBytes=" + v, b -> b.compactStepBytes(v), "compactStepBytes=" + v, "expected >= 0"));
        }
        for (final int v : new int[] {ArenaConfig.MAX_SPARE_CHUNKS + 1, Integer.MIN_VALUE, Integer.MAX_VALUE})
        {
            list.add(option("spareChunks=" + v, b -> b.spareChunks(v), "spareChunks=" + v,
                "expected 0.." + ArenaConfig.MAX_SPARE_CHUNKS));
        }
        for (final int v : new int[] {-1, 31, Integer.MAX_VALUE})
        {
            list.add(option("debugValidateEveryLog2=" + v, b -> b.debugValidateEveryLog2(v), "debugValidateEveryLog2=" + v,
                "expected 0..30"));
        }
        for (final double v : new double[] {-0.01, 1.0001, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
        {
            list.add(option("fragmentationThreshold=" + v, b -> b.fragmentationThreshold(v), "fragmentationThreshold=" + v,
                "expected 0.0..1.0"));
        }
        for (final long v : new long[] {Long.MIN_VALUE, Long.MAX_VALUE})
        {
            list.add(option("mediumFreeCacheBytes=" + v, b -> b.mediumFreeCacheBytes(v), "mediumFreeCacheBytes=" + v,
                "expected 0.." + ArenaConfig.MAX_MEDIUM_FREE_CACHE_BYTES));
            list.add(option("compactOnFailureNanos=" + v, b -> b.compactOnFailureNanos(v), "compactOnFailureNanos=" + v,
                "expected 0.." + ArenaConfig.MAX_COMPACT_ON_FAILURE_NANOS));
        }
        for (final int v : new int[] {-2, ArenaConfig.MAX_ARENA_ID + 1, Integer.MIN_VALUE})
        {
            list.add(option("arenaId=" + v, b -> b.arenaId(v), "arenaId=" + v,
                "expected 0.." + ArenaConfig.MAX_ARENA_ID + " or -1"));
        }
        list.add(option("chunkListener=null", b -> b.chunkListener(null), "chunkListener=null", "expected a ChunkListener"));
        return list.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badOptions")
    void shouldRejectABadOptionAndKeepTheBuilderAsItWas(final Option set, final String[] parts)
    {
        final ArenaConfig.Builder b = ArenaConfig.builder();
        final String before = b.build().toString();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> set.set(b));
        assertThat(ex.getMessage()).contains(parts);
        assertEquals(before, b.build().toString(), "a rejected value changed the builder");
    }

    @Test
    void shouldRejectAMaxTotalBytesBelowTheChunkSizeAtBuild()
    {
        final ArenaConfig.Builder b = ArenaConfig.builder().chunkSize(4L << 20).maxTotalBytes((4L << 20) - 1);
        assertThat(assertThrows(IllegalArgumentException.class, b::build).getMessage())
            .contains("maxTotalBytes=" + ((4L << 20) - 1), "expected >= chunkSize=" + (4L << 20));
        assertEquals(4L << 20, b.maxTotalBytes(4L << 20).build().maxTotalBytes());
    }

    @Test
    void shouldRejectANullConfig()
    {
        assertThat(assertThrows(IllegalArgumentException.class, () -> OffHeapArena.create(null)).getMessage())
            .contains("config=null", "expected an ArenaConfig");
    }

    // ---- extreme but valid values ---------------------------------------------------------------------------

    @Test
    void shouldCompactFullyWithTheLargestTimeBudget()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            final List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 51; i++)
            {
                handles.add(arena.allocateHandle(60_000)); // 17 a chunk: 3 chunks
            }
            for (int i = 0; i < handles.size(); i++)
            {
                if (i % 4 != 0)
                {
                    arena.free(handles.get(i)); // 13 left: they fit in one chunk, where compaction ends
                }
            }
            assertThat(arena.compactionWorthIt(Long.MAX_VALUE)).isTrue();
            assertThat(arena.compactFully(Long.MAX_VALUE)).isPositive(); // no overflow of now + maxNanos
            assertThat(arena.compactionWorthIt(Long.MAX_VALUE)).isFalse();
            arena.validate();
        }
    }
}
