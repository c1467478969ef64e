package dev.diffusion.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The annotated test class (or method) runs only where every named program is on the PATH; elsewhere each of its
 * tests is reported as skipped with the missing program and its Debian package. {@code .ci/run} installs them all.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(RequiresPrograms.Condition.class)
public @interface RequiresPrograms {

    /** Program names, e.g. {@code chromium}. */
    String[] value();

    /** The Debian packages that provide them, for the skip message. */
    String packages();

    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return AnnotationSupport.findAnnotation(context.getElement(), RequiresPrograms.class)
                    .map(Condition::evaluate)
                    .orElse(ConditionEvaluationResult.enabled("no programs required"));
        }

        private static ConditionEvaluationResult evaluate(RequiresPrograms required) {
            List<String> missing = Stream.of(required.value())
                    .filter(name -> ProgramsOnPath.find(name).isEmpty()).toList();
            return missing.isEmpty()
                    ? ConditionEvaluationResult.enabled("found " + String.join(", ", required.value()))
                    : SkipReasons.disabled(String.join(", ", missing) + " not on the PATH (Debian: apt-get install "
                            + required.packages() + ")");
        }
    }
}
