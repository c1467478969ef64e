package dev.diffusion.jobs;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

public class InMemoryCancelRequests implements CancelRequests {

    private final Set<String> requested = ConcurrentHashMap.newKeySet();

    @Override
    public void request(String jobId) {
        requested.add(jobId);
    }

    @Override
    public boolean requested(String jobId) {
        return requested.contains(jobId);
    }

    @Override
    public void clear(String jobId) {
        requested.remove(jobId);
    }
}
