package dev.diffusion.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.opentest4j.TestAbortedException;

/** A skip's reason goes to the test report and, once per reason, to the build's console, so a skip is never silent. */
final class SkipReasons {

    private static final Set<String> PRINTED = ConcurrentHashMap.newKeySet();

    private SkipReasons() {
    }

    static ConditionEvaluationResult disabled(String reason) {
        return ConditionEvaluationResult.disabled(announced(reason));
    }

    static TestAbortedException aborted(String reason) {
        return new TestAbortedException(announced(reason));
    }

    private static String announced(String reason) {
        if (PRINTED.add(reason)) {
            System.err.println("[skipped] " + reason);
        }
        return reason;
    }
}
