package io.arenaalloc.core;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * Two 16-byte native blocks for one jcstress state: block A (where a handle's data lives first) and block B
 * (where a compactor moves it). The bytes are real native memory, read and written through raw addresses
 * exactly as arena users and the compactor do, so a test sees what an address returned by the handle table
 * really points at.
 *
 * <p>Markers: A starts with {@link #CONTENT}; B starts with {@link #JUNK} (what a fresh block holds before the
 * copy); a mover overwrites A with {@link #POISON} after publishing B (the old block is reused at once).
 *
 * <p>Memory comes from {@link ByteBuffer#allocateDirect}, so it is freed by the buffer's cleaner once the
 * jcstress state is collected: jcstress has no per-state teardown, and it creates millions of states.
 */
final class TwoBlocks
{
    static final long BLOCK = 16;
    static final long CONTENT = 0x0A11_0CA7_ED0D_A7A1L;
    static final long JUNK = 0x7E57_B10C_0000_0B0BL;
    static final long POISON = 0xDEAD_DEAD_DEAD_DEADL;

    /** Codes reported in results: which block an address is, and what a read found. */
    static final int IS_A = 1, IS_B = 2, IS_OTHER = -1;
    static final int READ_CONTENT = 1, READ_JUNK = 0, READ_POISON = 9, READ_OTHER = -1;

    @SuppressWarnings("unused") // keeps the native memory alive as long as the state
    private final ByteBuffer memory;
    final long a;
    final long b;

    TwoBlocks()
    {
        memory = ByteBuffer.allocateDirect((int)(2 * BLOCK));
        a = BufferUtil.address(memory);
        b = a + BLOCK;
        UnsafeApi.putLong(a, CONTENT);
        UnsafeApi.putLong(b, JUNK);
    }

    int whichBlock(final long address)
    {
        return address == a ? IS_A : address == b ? IS_B : IS_OTHER;
    }

    static int classify(final long word)
    {
        if (word == CONTENT)
        {
            return READ_CONTENT;
        }
        if (word == JUNK)
        {
            return READ_JUNK;
        }
        return word == POISON ? READ_POISON : READ_OTHER;
    }

    /** What the compactor's copy does: A's bytes to B. */
    void copyAToB()
    {
        UnsafeApi.copyMemory(a, b, BLOCK);
    }

    /** The old block is reused after the move (a new allocation overwrites it). */
    void reuseA()
    {
        UnsafeApi.putLong(a, POISON);
    }
}
