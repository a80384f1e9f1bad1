/**
 * Thread-safe allocators over single-owner {@code io.arenaalloc.core.OffHeapArena}s.
 *
 * <h2>Public API</h2>
 * <pre>{@code
 *   ArenaAllocator alloc = ArenaAllocator.builder()
 *       .policy(Policy.PER_THREAD)          // or Policy.STRIPED
 *       .maxTotalBytes(1L << 30)            // global limit across all arenas
 *       .limitWaitNanos(5_000_000)          // back-pressure: wait up to 5 ms for remote frees at the limit
 *       .build();
 *   long a = alloc.allocate(size);   alloc.free(a);            // fixed blocks, free from any thread
 *   long h = alloc.allocateHandle(size);                       // movable blocks
 *   long p = alloc.pin(h);   alloc.unpin(h);   alloc.free(h);   // pin from any thread
 *   long r = alloc.resolve(h);                                 // owner thread only (PER_THREAD)
 *   alloc.reallocate(a, newSize);   alloc.usableSize(a);   alloc.arenaOf(a);
 *   alloc.maintain(nanos);                                     // idle-time work for any event loop
 *   IdleStrategy idle = alloc.idleStrategy(new BackoffIdleStrategy());   // or new AgentRunner(.., alloc.maintenanceAgent())
 *   alloc.close();
 * }</pre>
 *
 * <h2>Concepts, one class each</h2>
 * <pre>
 *   ArenaAllocator            the facade: routing, limits, maintenance entry points
 *   AllocatorConfig           validated builder; DEFAULT_* and PROP_* side by side
 *   Policy                    PER_THREAD | STRIPED
 *   ManagedArena              an arena + its inbox + the state word saying who may call it
 *   AddressMap                address -&gt; arena, O(1), lock-free readers (radix of 128 KiB windows)
 *   RemoteFreeInbox           THE REMOTE-FREE PROTOCOL: batch queue, overflow stack, ring; draining; bound
 *   RemoteFreeBatch           a pre-published run of remote frees (pooled)
 *   RemoteFreeOutbox          a freer's open batches, one per destination
 *   MpscLongRing              bounded MPSC ring of longs (single remote frees, no boxing)
 *   ThreadRegistry            ended threads: liveness scan, orphans, reclaim, adoption
 *   ThreadContext             per platform thread (PER_THREAD): its arena, its outbox, its own-chunk cache
 *   ThreadContextTable        thread id -&gt; ThreadContext without a ThreadLocal (the owner's fast path);
 *                             ArenaAllocator's superclass
 *   GlobalBudget              the global byte limit; BudgetedMemorySource charges it per chunk
 *   MaintainingIdleStrategy   Agrona IdleStrategy decorator: maintenance in idle time
 *   MaintenanceAgent          Agrona Agent: maintenance as a duty cycle (the background thread runs one)
 *   AllocatorCounters         allocator-wide counters (arenas keep their own ArenaCounters)
 * </pre>
 *
 * <h2>Threading, in one paragraph</h2>
 * An {@code OffHeapArena} is never called by two threads at once: a PER_THREAD arena only by its owning
 * thread (or, after that thread ended, by whoever claimed it with a CAS); a stripe only under its lock.
 * Frees from other threads travel through the arena's inbox; pins use the handle table's lock-free state
 * word. Maintenance (draining, compaction, chunk release) follows the same rule, so an arena is never
 * compacted while its owner allocates from it (mutual exclusion, not a concurrent protocol).
 */
package io.arenaalloc.threads;
