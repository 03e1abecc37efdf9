#!/usr/bin/env bash
# Coverage-guided fuzzing, for real: runs every Jazzer target (a @FuzzTest method) of every module for MINUTES
# each, one after another, and prints one line per target: executions, executions per second, coverage (libFuzzer's
# "cov:" edges and "ft:" features), corpus size and findings. The test suite only replays the committed corpus
# (src/test/resources/<package>/<Class>Inputs/<method>/); this script grows a working corpus from it under
# deploy/target/fuzz/ and leaves each finding there as a file to add to the committed corpus once it is fixed.
#
#   deploy/fuzz.sh MINUTES [NAME-FILTER]      e.g. deploy/fuzz.sh 10, or deploy/fuzz.sh 1 TpmInputs
#
# FUZZ_SECONDS=N overrides the time per target (a quick check of the script itself).
# Heavy: run it alone (flock /tmp/bench.lock deploy/fuzz.sh 10). Nothing here opens a socket beyond loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: deploy/fuzz.sh MINUTES [NAME-FILTER]}
filter=${2:-}
[[ $minutes =~ ^[0-9]+$ ]] || { echo "fuzz.sh: MINUTES must be a whole number, not '$minutes'" >&2; exit 2; }
work=deploy/target/fuzz
mkdir -p "$work/findings"
mvn -B -ntp -q install -DskipTests >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log"; exit 1; }
launcher=$(find "${MAVEN_REPO:-$HOME/.m2/repository}" -path '*junit-platform-launcher/1.14.4/*.jar' | head -1)
[[ -n $launcher ]] || mvn -B -ntp -q dependency:get -Dartifact=org.junit.platform:junit-platform-launcher:1.14.4 \
    >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log"; exit 1; }
launcher=$(find "${MAVEN_REPO:-$HOME/.m2/repository}" -path '*junit-platform-launcher/1.14.4/*.jar' | head -1)
summary="$work/summary.txt"
printf '%-58s %12s %9s %8s %8s %7s %s\n' target executions exec/s cov ft corpus findings | tee "$summary"
for module in common helper-*; do
    [[ -d $module/src/test/java ]] || continue
    mapfile -t classes < <(grep -rl '@FuzzTest' "$module/src/test/java" | sort)
    [[ ${#classes[@]} -gt 0 ]] || continue
    (cd "$module" && mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test \
        -Dmdep.outputFile="$PWD/target/fuzz-classpath.txt" >"../$work/mvn.log" 2>&1) || { cat "$work/mvn.log"; exit 1; }
    cp="$module/target/test-classes:$module/target/classes:$(cat "$module/target/fuzz-classpath.txt"):$launcher"
    for file in "${classes[@]}"; do
        class=$(sed -e "s|^$module/src/test/java/||" -e 's|\.java$||' -e 's|/|.|g' <<<"$file")
        resources="$module/src/test/resources/$(dirname "${file#"$module"/src/test/java/}")/$(basename "$file" .java)Inputs"
        # the method names: the line after each @FuzzTest
        mapfile -t methods < <(grep -A1 '@FuzzTest' "$file" | sed -n 's/.*void \([A-Za-z0-9_]*\)(.*/\1/p')
        for method in "${methods[@]}"; do
            name="${class##*.}.$method"
            [[ -z $filter || $name == *"$filter"* ]] || continue
            corpus="$work/corpus/$name"
            mkdir -p "$corpus"
            [[ -d $resources/$method ]] && cp -n "$resources/$method"/* "$corpus/" 2>/dev/null || true
            log="$work/$name.log"
            before=$(find "$work/findings" -name "$name-*" | wc -l)
            java -Xmx2g -cp "$cp" com.code_intelligence.jazzer.Jazzer --target_class="$class" \
                --target_method="$method" --keep_going=20 -max_total_time="${FUZZ_SECONDS:-$((minutes * 60))}" -print_final_stats=1 \
                -artifact_prefix="$work/findings/$name-" "$corpus" >"$log" 2>&1 || true
            runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
            rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
            last=$(grep -E '^#[0-9]+' "$log" | tail -1)
            cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
            ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
            after=$(find "$work/findings" -name "$name-*" | wc -l)
            printf '%-58s %12s %9s %8s %8s %7s %s\n' "$name" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
                "$(find "$corpus" -type f | wc -l)" "$((after - before))" | tee -a "$summary"
        done
    done
done
echo "fuzz.sh: logs, corpus and findings under $work; summary in $summary"
