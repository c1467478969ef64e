package dev.diffusion.api.generate;

import dev.diffusion.jobs.JobCursor;
import dev.diffusion.jobs.JobQuery;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The query parameters of {@code GET /jobs}, checked together as a request body's fields are. */
final class JobListing {

    static final int MAX_LIMIT = 100;

    private JobListing() {
    }

    /**
     * @throws RequestValidationException naming every parameter that is not valid
     */
    static JobQuery query(String owner, String status, String createdAfter, String limit, String cursor) {
        List<FieldError> errors = new ArrayList<>();
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        if (status != null && !status.isBlank()) {
            for (String name : status.split(",")) {
                try {
                    statuses.add(JobStatus.valueOf(name.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError("status", "must be one or more of " + Arrays.stream(JobStatus.values())
                            .map(s -> s.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                            + ", comma-separated"));
                    break;
                }
            }
        }
        Instant after = null;
        if (createdAfter != null) {
            try {
                after = Instant.parse(createdAfter);
            } catch (DateTimeParseException e) {
                errors.add(new FieldError("created_after", "must be an ISO 8601 instant, such as "
                        + "2026-12-01T10:00:00Z"));
            }
        }
        int pageSize = 0;
        try {
            pageSize = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            // reported below
        }
        if (pageSize < 1 || pageSize > MAX_LIMIT) {
            errors.add(new FieldError("limit", "must be between 1 and " + MAX_LIMIT));
        }
        JobCursor from = null;
        if (cursor != null && !cursor.isEmpty()) {
            try {
                from = JobCursor.decode(cursor);
            } catch (IllegalArgumentException e) { // NumberFormatException included
                errors.add(new FieldError("cursor", "is not a next_cursor this service gave"));
            }
        }
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        return new JobQuery(owner, statuses, after, from, pageSize);
    }
}
