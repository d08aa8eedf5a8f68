"""Python 3.11: runs ``python script.py`` again with the script compiled with probes.

``_kaizen_collector`` re-executes a traced process that runs a project script as
``python [its flags] _kaizen_main.py script.py [its arguments]``; see ``run_script`` there.
"""

if __name__ == "__main__":
    import _kaizen_collector

    _kaizen_collector.run_script()
