package io.arenaalloc.bench.subject;

/**
 * Base for subjects whose blocks are plain native addresses: the slot table is a {@code long[]},
 * 0 meaning empty. Subclasses supply {@link #malloc(long)} and {@link #release(long)}; both are
 * monomorphic inside a JMH fork (one subject per fork), so the JIT inlines them.
 */
abstract class AddressSlots implements Subject
{
    private final String name;
    protected final long[] addresses;
    private boolean closed;

    AddressSlots(final String name, final int slots)
    {
        this.name = name;
        this.addresses = new long[slots];
    }

    /** @return address of a new block of at least {@code size} bytes. */
    protected abstract long malloc(long size);

    /** Free a block returned by {@link #malloc(long)}. */
    protected abstract void release(long address);

    /** Release the allocator itself after every block was freed. */
    protected void closeAllocator()
    {
    }

    @Override
    public final String name()
    {
        return name;
    }

    @Override
    public final int slots()
    {
        return addresses.length;
    }

    @Override
    public final long allocate(final int slot, final int size)
    {
        final long address = malloc(size);
        addresses[slot] = address;
        return address;
    }

    @Override
    public final void free(final int slot)
    {
        final long address = addresses[slot];
        addresses[slot] = 0;
        release(address);
    }

    @Override
    public final boolean isLive(final int slot)
    {
        return addresses[slot] != 0;
    }

    @Override
    public final void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < addresses.length; i++)
        {
            if (addresses[i] != 0)
            {
                free(i);
            }
        }
        closeAllocator();
    }
}
